# attack: functools.reduce(getattr, ...) walking a dunder chain with the guarded getattr
# expect: execution_error: names starting with '_'
import functools

def metric(event):
    return functools.reduce(getattr, ['__class__', '__base__'], ())
