# attack: a string of 10 GB in one multiplication
# expect: execution_error: MemoryError
def metric(event):
    return len('a' * 10 ** 10)
