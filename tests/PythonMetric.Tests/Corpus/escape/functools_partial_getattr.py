# attack: functools.partial(getattr, obj) called with a dunder name
# expect: execution_error: names starting with '_'
import functools

def metric(event):
    reader = functools.partial(getattr, ())
    return reader('__class__')
