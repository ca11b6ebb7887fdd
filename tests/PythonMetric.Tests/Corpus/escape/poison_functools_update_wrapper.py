# attack: tenant A rewrites numpy.sum's metadata with functools.update_wrapper
# expect: execution_error: 'update_wrapper'
# then-expect: value: 1.0
import functools
import numpy as np

def metric(event):
    functools.update_wrapper(np.sum, np.mean)
    return 1.0
# --- tenant B ---
import numpy as np

def metric(event):
    return 1.0 if np.sum([1, 2, 3]) == 6 else 0.0
