# attack: getattr((), '_' + '_class_' + '_') built from pieces
# expect: execution_error: names starting with '_'
def metric(event):
    return getattr((), '_' + '_class_' + '_')
