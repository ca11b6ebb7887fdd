# attack: gi_code of a generator to read code internals
# expect: execution_error: 'gi_code'
def metric(event):
    g = (x for x in [1])
    return getattr(g, 'gi_code')
