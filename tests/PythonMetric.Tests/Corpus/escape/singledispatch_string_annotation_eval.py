# attack: functools.singledispatch().register(g) evaluates g's string annotations with the real eval
# (typing.get_type_hints), where attribute access is not guarded; annotations are dropped before compiling
# expect: execution_error: TypeError: Invalid first argument to `register()`
import functools

@functools.singledispatch
def dispatch(x):
    return 0.0

def probe(x: "().__class__.__base__.__subclasses__()"):
    return 1.0

def metric(event):
    dispatch.register(probe)
    return 1.0
