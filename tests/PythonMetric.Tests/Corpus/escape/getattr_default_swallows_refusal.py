# attack: getattr with a default, hoping a refusal falls back to the real attribute
# expect: execution_error: names starting with '_'
def metric(event):
    return getattr((), '__class__', None)
