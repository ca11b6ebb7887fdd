# control: functools.reduce
# expect: value: 24.0
import functools

def metric(event):
    return functools.reduce(lambda a, b: a * b, [1, 2, 3, 4])
