# attack: a keyword argument named __class__
# expect: compilation_error: names starting with '_'
def metric(event):
    return dict(__class__=1)
