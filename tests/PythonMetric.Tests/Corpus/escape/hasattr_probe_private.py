# attack: hasattr as an oracle for private attributes (must answer False, not leak or raise)
# expect: value: 0.0
def metric(event):
    return 1.0 if hasattr((), '__class__') else 0.0
