# attack: a positional-only parameter named _getattr_ with the real getattr as default shadows the guard
# expect: compilation_error: names starting with '_'
def metric(event, _getattr_=getattr, /):
    return event.keys
