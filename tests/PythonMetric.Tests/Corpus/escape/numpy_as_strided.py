# attack: as_strided reads memory outside an array
# expect: execution_error: import of 'numpy.lib.stride_tricks' is not allowed
from numpy.lib.stride_tricks import as_strided

def metric(event):
    return 1.0
