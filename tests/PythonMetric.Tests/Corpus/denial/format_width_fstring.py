# attack: a huge width in an f-string format spec (1 GB of padding)
# expect: execution_error: MemoryError
def metric(event):
    width = 10 ** 9
    return len(f'{1:{width}}')
