# attack: a function's code object (__code__, co_code)
# expect: compilation_error: '.co_code' is not allowed
def metric(event):
    return metric.__code__.co_code
