# attack: int.mro() to reach object and then its subclasses
# expect: compilation_error: '.mro'
def metric(event):
    return len(int.mro())
