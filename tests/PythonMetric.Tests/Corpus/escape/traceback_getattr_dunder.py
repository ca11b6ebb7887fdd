# attack: __traceback__ through getattr with a built name
# expect: execution_error: names starting with '_'
def metric(event):
    try:
        1 / 0
    except Exception as e:
        return getattr(e, '__trace' + 'back__')
