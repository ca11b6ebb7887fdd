# attack: cr_frame read with getattr on whatever object is at hand
# expect: execution_error: 'cr_frame'
def metric(event):
    return getattr(metric, 'cr_frame')
