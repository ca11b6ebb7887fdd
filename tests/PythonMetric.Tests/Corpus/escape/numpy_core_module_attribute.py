# attack: numpy.core read as an attribute (a module outside the allowlist)
# expect: execution_error: 'numpy.core' is not available
import numpy as np

def metric(event):
    return np.core.multiarray
