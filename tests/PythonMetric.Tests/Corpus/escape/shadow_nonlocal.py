# attack: nonlocal rebinding of a guard name
# expect: compilation_error: names starting with '_'
def metric(event):
    _write_ = 1
    def inner():
        nonlocal _write_
        _write_ = 2
    inner()
    return 1.0
