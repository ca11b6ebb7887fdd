# attack: import gc (outside the allowlist)
# expect: execution_error: import of 'gc' is not allowed
import gc

def metric(event):
    return 1.0
