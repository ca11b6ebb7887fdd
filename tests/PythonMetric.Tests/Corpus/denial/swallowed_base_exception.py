# attack: swallowing every interruption (KeyboardInterrupt, SystemExit, anything raised into the loop)
# expect: timeout_error
def metric(event):
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass
