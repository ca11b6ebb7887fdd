# attack: a list of ten billion references (80 GB) in one multiplication
# expect: execution_error: MemoryError
def metric(event):
    return len([0] * 10 ** 10)
