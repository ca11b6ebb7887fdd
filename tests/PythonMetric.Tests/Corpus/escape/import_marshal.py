# attack: import marshal (outside the allowlist)
# expect: execution_error: import of 'marshal' is not allowed
import marshal

def metric(event):
    return 1.0
