# attack: import importlib (outside the allowlist)
# expect: execution_error: import of 'importlib' is not allowed
import importlib

def metric(event):
    return 1.0
