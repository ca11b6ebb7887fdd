# attack: from numpy import ndarray (IMPORT_FROM, past _getattr_) then the buffer form
# expect: execution_error: is not available to metrics (raw memory)
from numpy import ndarray

def metric(event):
    forged = ndarray((1,), 'O', bytes(8))
    return float(len(forged))
