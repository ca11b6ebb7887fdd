# attack: a result nested 100000 lists deep, which JSON encoding would recurse through
# expect: invalid_return_error
def metric(event):
    value = []
    level = 0
    while level < 100000:
        value = [value]
        level = level + 1
    return value
