# attack: global _getattr_ then rebinding it
# expect: compilation_error: names starting with '_'
def metric(event):
    global _getattr_
    _getattr_ = getattr
    return 1.0
