# attack: an except clause binding _getattr_
# expect: compilation_error: names starting with '_'
def metric(event):
    try:
        pass
    except Exception as _getattr_:
        pass
    return 1.0
