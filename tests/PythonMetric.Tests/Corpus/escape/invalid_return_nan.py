# attack: NaN for a float metric
# expect: invalid_return_error: not a finite number
def metric(event):
    return float('nan')
