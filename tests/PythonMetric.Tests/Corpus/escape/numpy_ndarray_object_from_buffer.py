# attack: ndarray((1,), object, buffer) turns forged bytes into a PyObject pointer (a fake object)
# expect: execution_error: is not available to metrics (raw memory)
import numpy as np

def metric(event):
    raw = (0).to_bytes(8, 'little')
    forged = np.ndarray((1,), dtype='O', buffer=raw)
    return float(len(forged))
