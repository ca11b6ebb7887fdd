# attack: an f-string whose field reads a dunder attribute
# expect: compilation_error: names starting with '_'
def metric(event):
    return f'{event.__class__}'
