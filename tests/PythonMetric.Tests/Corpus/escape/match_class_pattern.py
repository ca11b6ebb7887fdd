# attack: a class pattern reads attributes (real getattr) of the subject
# expect: compilation_error: class patterns
def metric(event):
    match 1:
        case int(real=r):
            return float(r)
