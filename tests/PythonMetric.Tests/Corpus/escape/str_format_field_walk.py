# attack: '{0.__class__.__mro__}'.format(1): format fields walk attributes with the real getattr
# expect: compilation_error: '.format'
def metric(event):
    return '{0.__class__.__mro__}'.format(1)
