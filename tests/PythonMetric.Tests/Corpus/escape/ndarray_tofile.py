# attack: ndarray.tofile writes a host file
# expect: execution_error: 'tofile'
import numpy as np

def metric(event):
    np.zeros(3).tofile('/tmp/owned.bin')
    return 1.0
