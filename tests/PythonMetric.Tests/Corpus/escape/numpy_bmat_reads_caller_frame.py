# attack: numpy.bmat('name') looks names up in its caller's frame globals (the metric's __builtins__ and guards)
# expect: execution_error: 'bmat'
import numpy as np

def metric(event):
    leaked = np.bmat('__builtins__')
    return 1.0
