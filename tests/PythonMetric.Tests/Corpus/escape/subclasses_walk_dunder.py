# attack: walk ().__class__.__bases__[0].__subclasses__() to find a class that reaches os
# expect: compilation_error: names starting with '_'
def metric(event):
    for cls in ().__class__.__bases__[0].__subclasses__():
        if cls.__name__ == 'Popen':
            return 1.0
    return 0.0
