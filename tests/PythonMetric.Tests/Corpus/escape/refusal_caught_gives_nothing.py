# attack: catching the guard's refusal and carrying on gets the metric nothing it could misuse
# expect: value: 0.0
def metric(event):
    leaked = None
    try:
        leaked = getattr((), '__class__')
    except AttributeError:
        pass
    return 0.0 if leaked is None else 1.0
