# attack: print is the collector's bound method; its __self__ would expose the harness's printer
# expect: execution_error: names starting with '_'
def metric(event):
    return getattr(print, '__self__')
