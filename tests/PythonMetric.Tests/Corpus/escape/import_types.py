# attack: import types (outside the allowlist)
# expect: execution_error: import of 'types' is not allowed
import types

def metric(event):
    return 1.0
