# attack: sorted() with a comparison (functools.cmp_to_key) that never returns
# expect: timeout_error
import functools

def compare(left, right):
    while True:
        pass

def metric(event):
    return len(sorted([3, 1, 2], key=functools.cmp_to_key(compare)))
