# attack: import pickle (outside the allowlist)
# expect: execution_error: import of 'pickle' is not allowed
import pickle

def metric(event):
    return 1.0
