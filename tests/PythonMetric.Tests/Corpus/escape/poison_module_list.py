# attack: tenant A appends to a list read off a module (string.__all__ is private, so numpy.typecodes dict)
# expect: value: 1.0
# then-expect: value: 1.0
import numpy as np

def metric(event):
    np.typecodes['All'] = 'owned'
    return 1.0
# --- tenant B ---
import numpy as np

def metric(event):
    return 1.0 if np.typecodes['All'] != 'owned' else 0.0
