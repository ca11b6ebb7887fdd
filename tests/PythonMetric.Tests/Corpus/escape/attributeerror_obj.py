# attack: AttributeError.obj hands back the object the failed lookup was made on
# expect: execution_error: an exception's object is not exposed
def metric(event):
    try:
        event.nothing_here
    except AttributeError as e:
        return e.obj
