# attack: map(getattr, ...) applying getattr to built names
# expect: execution_error: names starting with '_'
def metric(event):
    return list(map(getattr, [(), ()], ['count', '__class__']))
