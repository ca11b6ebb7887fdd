# attack: joining a billion-element list (8 GB of references before the join starts)
# expect: execution_error: MemoryError
def metric(event):
    return len(','.join(['x'] * 10 ** 9))
