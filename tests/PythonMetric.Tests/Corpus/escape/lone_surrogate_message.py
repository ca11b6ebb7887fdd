# attack: an exception message holding a lone surrogate must still come back as a readable error
# expect: execution_error: ValueError: bad ?
def metric(event):
    raise ValueError('bad ' + chr(0xDFFF))
