# attack: the plainest CPU loop
# expect: timeout_error
def metric(event):
    while True:
        pass
