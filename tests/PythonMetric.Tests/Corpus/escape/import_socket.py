# attack: import socket (outside the allowlist)
# expect: execution_error: import of 'socket' is not allowed
import socket

def metric(event):
    return 1.0
