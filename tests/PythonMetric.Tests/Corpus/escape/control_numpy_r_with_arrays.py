# control: numpy.r_ with arrays and slices still works
# expect: value: 10.0
import numpy as np

def metric(event):
    return float(np.r_[np.array([1, 2]), 3:5].sum())
