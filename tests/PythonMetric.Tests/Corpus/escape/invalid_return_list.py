# attack: a value of the wrong type (a list) for a float metric
# expect: invalid_return_error: expected float
def metric(event):
    return [1.0]
