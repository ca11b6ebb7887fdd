# attack: print(file=...) to write somewhere other than the collected output
# expect: execution_error: print(file=...)
def metric(event):
    print('x', file=event)
    return 1.0
