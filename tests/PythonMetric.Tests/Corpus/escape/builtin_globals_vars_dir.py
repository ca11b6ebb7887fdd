# attack: globals() to read the guards and __builtins__
# expect: execution_error: NameError
def metric(event):
    return len(globals())
