# attack: __subclasses__ reached with getattr and a name built at run time
# expect: execution_error: names starting with '_'
def metric(event):
    name = chr(95) * 2 + 'subclasses' + chr(95) * 2
    return len(getattr(object_like(), name)())

def object_like():
    return 1
