# attack: counting to a trillion with additions
# expect: timeout_error
def metric(event):
    total = 0
    number = 0
    while number < 10 ** 12:
        total = total + number
        number = number + 1
    return total
