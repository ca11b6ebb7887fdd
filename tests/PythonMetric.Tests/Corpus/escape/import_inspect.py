# attack: import inspect (outside the allowlist)
# expect: execution_error: import of 'inspect' is not allowed
import inspect

def metric(event):
    return 1.0
