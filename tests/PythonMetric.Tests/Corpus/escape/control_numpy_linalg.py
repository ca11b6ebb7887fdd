# control: numpy.linalg.norm
# expect: value: 5.0
import numpy as np

def metric(event):
    return np.linalg.norm(np.array([3.0, 4.0]))
