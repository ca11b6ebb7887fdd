# attack: numpy.load reads (and with allow_pickle unpickles) host files
# expect: execution_error: 'load'
import numpy as np

def metric(event):
    return float(np.load('/etc/passwd', allow_pickle=True).size)
