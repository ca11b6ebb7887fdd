# attack: numpy.c_ with a matrix string, the same frame read as numpy.r_
# expect: execution_error: numpy.r_/c_ with a matrix string
import numpy as np

def metric(event):
    return np.c_['copy']
