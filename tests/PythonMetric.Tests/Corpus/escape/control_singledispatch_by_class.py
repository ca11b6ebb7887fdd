# control: functools.singledispatch with register(cls, func) still works
# expect: value: 2.0
import functools

@functools.singledispatch
def size(x):
    return 0.0

def size_of_str(x):
    return float(len(x))

size.register(str, size_of_str)

def metric(event):
    return size('ab') + size(3)
