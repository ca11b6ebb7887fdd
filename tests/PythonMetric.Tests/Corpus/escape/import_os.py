# attack: import os (outside the allowlist)
# expect: execution_error: import of 'os' is not allowed
import os

def metric(event):
    return 1.0
