# attack: the unbound str.format
# expect: compilation_error: '.format'
def metric(event):
    f = str.format
    return f('{0.__class__}', 1)
