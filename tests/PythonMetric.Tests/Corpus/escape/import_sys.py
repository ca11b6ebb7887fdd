# attack: import sys (outside the allowlist)
# expect: execution_error: import of 'sys' is not allowed
import sys

def metric(event):
    return 1.0
