# attack: a finally clause that continues the loop, whatever ends the try block
# expect: timeout_error
def metric(event):
    while True:
        try:
            while True:
                pass
        finally:
            continue
