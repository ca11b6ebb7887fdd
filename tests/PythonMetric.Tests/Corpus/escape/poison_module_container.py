# attack: tenant A mutates a dict read off numpy (numpy.sctypeDict); it gets a copy
# expect: value: 1.0
# then-expect: value: 1.0
import numpy as np

def metric(event):
    table = np.sctypeDict
    table['float'] = int
    return 1.0
# --- tenant B ---
import numpy as np

def metric(event):
    return 1.0 if np.sctypeDict['float'] is np.float64 else 0.0
