# attack: numpy.r_['sys'] builds a matrix from names in the frame that indexes it: the guard's, i.e. the
# harness's module globals (sys, copy, ...)
# expect: execution_error: numpy.r_/c_ with a matrix string
import numpy as np

def metric(event):
    leaked = np.r_['sys']
    return float(len(leaked))
