# attack: setattr on a module
# expect: execution_error: NameError
import math

def metric(event):
    setattr(math, 'pi', 3)
    return 1.0
