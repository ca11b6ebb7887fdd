# attack: ndarray.ctypes.data gives the raw address of the array's memory
# expect: execution_error: 'ctypes'
import numpy as np

def metric(event):
    return float(np.zeros(3).ctypes.data)
