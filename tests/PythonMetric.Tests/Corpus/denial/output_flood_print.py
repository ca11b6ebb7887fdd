# attack: printing forever (the captured output is capped, so only the time limit ends it)
# expect: timeout_error
def metric(event):
    while True:
        print('x' * 10000)
