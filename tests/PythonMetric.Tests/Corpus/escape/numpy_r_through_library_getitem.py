# attack: numpy.r_ passed as a mapping to collections.ChainMap, so the string index happens in a library
# frame (no _getitem_ guard) and reads that module's globals
# expect: execution_error: numpy.r_/c_ with a matrix string
import collections
import numpy as np

def metric(event):
    chain = collections.ChainMap(np.r_)
    return float(len(chain['string']))
