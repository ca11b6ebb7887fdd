# attack: gi_frame through getattr with a built name
# expect: execution_error: 'gi_frame'
def metric(event):
    g = (x for x in [1])
    return getattr(g, 'gi_' + 'frame')
