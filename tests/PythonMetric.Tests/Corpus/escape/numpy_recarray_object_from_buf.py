# attack: recarray(..., buf=...) with an object field reads pointers out of raw bytes
# expect: execution_error: is not available to metrics (raw memory)
import numpy as np

def metric(event):
    forged = np.recarray((1,), dtype=[('a', 'O')], buf=bytes(8))
    return float(len(forged))
