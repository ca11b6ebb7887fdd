# attack: tenant A replaces dict.fromkeys on the builtin type
# expect: execution_error: may not modify type
# then-expect: value: 1.0
def metric(event):
    dict.fromkeys = None
    return 1.0
# --- tenant B ---
def metric(event):
    return 1.0 if dict.fromkeys('ab') == {'a': None, 'b': None} else 0.0
