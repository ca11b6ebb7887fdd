# attack: format_map through getattr
# expect: execution_error: 'format_map'
def metric(event):
    return getattr('{a.__class__}', 'format_map')({'a': 1})
