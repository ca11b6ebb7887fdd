# attack: numpy.lib.npyio.os: an allowed module's attribute chain to os
# expect: execution_error: 'lib'
import numpy as np

def metric(event):
    return np.lib.npyio.os.getcwd()
