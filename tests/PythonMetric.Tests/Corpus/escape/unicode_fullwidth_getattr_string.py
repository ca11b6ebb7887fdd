# attack: a fullwidth dunder name passed to getattr as a string
# expect: execution_error: names starting with '_'
def metric(event):
    return getattr((), '＿＿class＿＿')
