# attack: f_back read with getattr (frame walking up to the harness)
# expect: execution_error: 'f_back'
def metric(event):
    return getattr(event, 'f_back', 0)
