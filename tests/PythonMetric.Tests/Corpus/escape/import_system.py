# attack: import System (pythonnet: CLR objects)
# expect: execution_error: import of 'System' is not allowed
import System

def metric(event):
    return 1.0
