# attack: converting a 100000-digit integer to text (quadratic in C); Python's digit limit refuses it
# expect: execution_error: limit
def metric(event):
    return len(str(10 ** 100000))
