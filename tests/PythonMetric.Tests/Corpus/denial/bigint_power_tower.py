# attack: 10**10**8, one long computation inside C (no bytecode boundary to interrupt it)
# expect: timeout_error
def metric(event):
    return (10 ** 10 ** 8) % 7
