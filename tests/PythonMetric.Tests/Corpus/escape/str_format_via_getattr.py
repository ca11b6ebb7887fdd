# attack: str.format reached with getattr instead of an attribute in the source
# expect: execution_error: 'format'
def metric(event):
    fmt = getattr('{0.__class__}', 'for' + 'mat')
    return fmt(1)
