# attack: sorted() with a key function that never returns
# expect: timeout_error
def key(value):
    while True:
        pass

def metric(event):
    return len(sorted([3, 1, 2], key=key))
