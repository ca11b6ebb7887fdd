# attack: from numpy import * (binds every name past the guards)
# expect: compilation_error
from numpy import *

def metric(event):
    return 1.0
