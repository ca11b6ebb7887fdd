# attack: a __del__ finaliser that would run after the run, in another tenant's time
# expect: compilation_error: names starting with '_'
def __del__(self):
    return 1

def metric(event):
    return 1.0
