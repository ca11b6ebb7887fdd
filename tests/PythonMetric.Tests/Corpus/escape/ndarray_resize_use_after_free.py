# attack: ndarray.resize(refcheck=False) frees the buffer a view still points to: reads of freed memory
# expect: execution_error: use numpy.resize or reshape
import numpy as np

def metric(event):
    a = np.zeros(10)
    view = a[:]
    a.resize(1000000, refcheck=False)
    return float(view[0])
