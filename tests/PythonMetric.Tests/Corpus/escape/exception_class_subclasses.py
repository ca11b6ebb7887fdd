# attack: Exception.__subclasses__() to enumerate classes
# expect: compilation_error: names starting with '_'
def metric(event):
    return len(Exception.__subclasses__())
