# attack: getattr(int, 'm' + 'ro') to dodge the source check
# expect: execution_error: 'mro'
def metric(event):
    return len(getattr(int, 'm' + 'ro')())
