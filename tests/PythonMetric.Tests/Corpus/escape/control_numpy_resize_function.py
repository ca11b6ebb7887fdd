# control: numpy.resize (the function) and reshape still work
# expect: value: 6.0
import numpy as np

def metric(event):
    return float(np.resize(np.array([1.0, 2.0]), 4).sum() + np.arange(2).reshape(1, 2).sum() - 1.0)
