# attack: a string doubled forty times (a terabyte)
# expect: execution_error: MemoryError
def metric(event):
    text = 'a'
    steps = 0
    while steps < 40:
        text = text + text
        steps = steps + 1
    return len(text)
