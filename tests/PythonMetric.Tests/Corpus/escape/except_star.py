# attack: except* (ExceptionGroup handling) which RestrictedPython does not guard as a plain except
# expect: compilation_error: except*
def metric(event):
    try:
        return 1.0
    except* ValueError:
        return 0.0
