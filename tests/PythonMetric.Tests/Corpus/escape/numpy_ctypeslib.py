# attack: numpy.ctypeslib (raw pointers)
# expect: execution_error: 'ctypeslib'
import numpy as np

def metric(event):
    return np.ctypeslib
