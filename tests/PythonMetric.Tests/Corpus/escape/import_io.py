# attack: import io (outside the allowlist)
# expect: execution_error: import of 'io' is not allowed
import io

def metric(event):
    return 1.0
