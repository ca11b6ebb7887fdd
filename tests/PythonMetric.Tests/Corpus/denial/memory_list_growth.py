# attack: a list that grows by 8 MB a step until memory runs out
# expect: execution_error: MemoryError
def metric(event):
    chunks = []
    while True:
        chunks.append([0] * 10 ** 6)
