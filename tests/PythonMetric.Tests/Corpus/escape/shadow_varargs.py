# attack: *args named _getiter_
# expect: compilation_error: names starting with '_'
def metric(*_getiter_):
    return 1.0
