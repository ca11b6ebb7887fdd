# attack: import a numpy submodule outside the allowlist by its dotted name (binds with the real getattr)
# expect: execution_error: import of 'numpy.core.multiarray' is not allowed
import numpy.core.multiarray as multiarray

def metric(event):
    return 1.0
