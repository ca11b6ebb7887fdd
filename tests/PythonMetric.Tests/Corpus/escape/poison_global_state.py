# attack: tenant A sets a module-level global; tenant B's fresh globals do not have it
# expect: value: 1.0
# then-expect: value: 1.0
SEEN = []

def metric(event):
    SEEN.append('a')
    return 1.0
# --- tenant B ---
SEEN = []

def metric(event):
    SEEN.append('b')
    return 1.0 if SEEN == ['b'] else 0.0
