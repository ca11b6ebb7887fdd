# control: return type boolean from a numpy.bool_
# return_type: boolean
# expect: value: false
import numpy as np

def metric(event):
    return np.array([1, 2]).sum() > 5
