# attack: a huge format width through %-formatting: '%*d' % (10**9, 1) builds a 1 GB string
# expect: execution_error: MemoryError
def metric(event):
    return len('%*d' % (10 ** 9, 1))
