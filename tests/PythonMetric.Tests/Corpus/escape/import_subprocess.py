# attack: import subprocess (outside the allowlist)
# expect: execution_error: import of 'subprocess' is not allowed
import subprocess

def metric(event):
    return 1.0
