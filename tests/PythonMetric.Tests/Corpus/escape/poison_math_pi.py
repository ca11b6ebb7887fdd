# attack: tenant A sets math.pi; tenant B must see the real pi
# expect: execution_error: may not modify module
# then-expect: value: 1.0
import math

def metric(event):
    math.pi = 3
    return 1.0
# --- tenant B ---
import math

def metric(event):
    return 1.0 if math.pi == 3.141592653589793 else 0.0
