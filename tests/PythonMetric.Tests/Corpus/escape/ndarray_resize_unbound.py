# attack: the unbound ndarray.resize read off the class (numpy.ndarray is a stand-in) with refcheck=False
# expect: execution_error: use numpy.resize or reshape
import numpy as np

def metric(event):
    a = np.zeros(10)
    view = a[:]
    np.ndarray.resize(a, 1000000, refcheck=False)
    return float(view[0])
