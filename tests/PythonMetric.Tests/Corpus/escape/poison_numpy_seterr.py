# attack: tenant A makes numpy raise on every floating-point warning for everyone
# expect: execution_error: 'seterr'
# then-expect: value: 1.0
import numpy as np

def metric(event):
    np.seterr(all='raise')
    return 1.0
# --- tenant B ---
import numpy as np

def metric(event):
    return 1.0 if np.isinf(np.float64(1.0) / np.float64(0.0)) else 0.0
