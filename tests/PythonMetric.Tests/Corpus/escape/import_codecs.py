# attack: import codecs (outside the allowlist)
# expect: execution_error: import of 'codecs' is not allowed
import codecs

def metric(event):
    return 1.0
