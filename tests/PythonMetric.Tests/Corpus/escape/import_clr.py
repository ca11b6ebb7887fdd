# attack: import clr (pythonnet: CLR objects)
# expect: execution_error: import of 'clr' is not allowed
import clr

def metric(event):
    return 1.0
