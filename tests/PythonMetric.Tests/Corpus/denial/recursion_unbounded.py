# attack: unbounded recursion
# expect: execution_error: RecursionError
def deeper(depth):
    return deeper(depth + 1)

def metric(event):
    return deeper(0)
