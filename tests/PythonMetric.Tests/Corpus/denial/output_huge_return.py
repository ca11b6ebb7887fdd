# attack: returning a 10 MB string
# return_type: string
# expect: invalid_return_error: output
def metric(event):
    return 'x' * 10 ** 7
