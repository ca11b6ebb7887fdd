# attack: import ctypes (outside the allowlist)
# expect: execution_error: import of 'ctypes' is not allowed
import ctypes

def metric(event):
    return 1.0
