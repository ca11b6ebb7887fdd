# attack: a match capture pattern binding _getattr_
# expect: compilation_error: names starting with '_'
def metric(event):
    match event:
        case _getattr_:
            return 1.0
