# attack: mutual recursion between two functions
# expect: execution_error: RecursionError
def ping(n):
    return pong(n + 1)

def pong(n):
    return ping(n + 1)

def metric(event):
    return ping(0)
