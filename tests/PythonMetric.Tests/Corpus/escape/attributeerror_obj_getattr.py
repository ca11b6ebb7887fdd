# attack: AttributeError.obj through getattr
# expect: execution_error: an exception's object is not exposed
def metric(event):
    try:
        (1).nothing_here
    except AttributeError as e:
        return getattr(e, 'obj')
