# attack: numpy.lookfor imports and walks every module it can find
# expect: execution_error: 'lookfor'
import numpy as np

def metric(event):
    np.lookfor('file')
    return 1.0
