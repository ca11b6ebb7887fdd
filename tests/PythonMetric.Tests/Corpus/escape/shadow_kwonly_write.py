# attack: a keyword-only parameter named _write_
# expect: compilation_error: names starting with '_'
def metric(event, *, _write_=lambda x: x):
    return 1.0
