# attack: tenant A seeds numpy's global RNG to make tenant B's draws predictable
# expect: execution_error: 'seed'
# then-expect: value: 1.0
import numpy as np

def metric(event):
    np.random.seed(1)
    return 1.0
# --- tenant B ---
import numpy as np

def metric(event):
    return 1.0 if 0.0 <= np.random.random() < 1.0 else 0.0
