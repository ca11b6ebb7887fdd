# attack: a lambda parameter named _getattr_
# expect: compilation_error: names starting with '_'
def metric(event):
    f = lambda _getattr_: _getattr_
    return f(1)
