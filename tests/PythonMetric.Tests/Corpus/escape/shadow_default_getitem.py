# attack: a default parameter named _getitem_
# expect: compilation_error: names starting with '_'
def metric(event, _getitem_=None):
    return event['outputs']
