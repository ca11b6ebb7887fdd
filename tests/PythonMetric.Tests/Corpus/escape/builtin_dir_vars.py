# attack: dir() and vars() to enumerate the harness's names
# expect: execution_error: NameError
def metric(event):
    return len(dir()) + len(vars())
