# control: isinstance against numpy.ndarray (a guarded stand-in) and ndarray's unbound methods still work
# expect: value: 6.0
import numpy as np
from numpy import ndarray

def metric(event):
    values = np.array([1.0, 2.0, 3.0])
    ok = isinstance(values, np.ndarray) and isinstance(values, ndarray) and not isinstance([1], np.ndarray)
    return float(np.ndarray.sum(values)) if ok else 0.0
