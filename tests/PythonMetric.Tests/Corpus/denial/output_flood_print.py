# attack: printing forever (the captured output is capped, so only the time limit ends it)
# expect: timeout_error
# expect-minimal-harness: execution_error: _print_
def metric(event):
    while True:
        print('x' * 10000)
