# attack: the format() builtin (format specs with user types)
# expect: execution_error: NameError
def metric(event):
    return format(1, '>10')
