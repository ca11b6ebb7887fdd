# attack: numpy.info / numpy.source read library source files from the host
# expect: execution_error: 'source'
import numpy as np

def metric(event):
    np.source(np.mean)
    return 1.0
