# attack: str.ljust to ten billion characters
# expect: execution_error: MemoryError
def metric(event):
    return len('a'.ljust(10 ** 10))
