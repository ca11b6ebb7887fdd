# attack: a comprehension target named _getattr_ (comprehensions have their own scope)
# expect: compilation_error: names starting with '_'
def metric(event):
    return [(1).real for _getattr_ in [lambda o, n: o]][0]
