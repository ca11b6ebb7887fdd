# attack: with_traceback to graft a traceback (and its frames) onto an exception
# expect: compilation_error: with_traceback
def metric(event):
    e = ValueError('x')
    return e.with_traceback(None)
