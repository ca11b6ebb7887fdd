# attack: a walrus target named _getiter_
# expect: compilation_error: names starting with '_'
def metric(event):
    if (_getiter_ := iter):
        return 1.0
