# attack: setting ndarray.strides to read memory outside the array
# expect: execution_error: may not set 'strides'
import numpy as np

def metric(event):
    a = np.zeros(2)
    a.strides = (1 << 40,)
    return float(a[1])
