# attack: tenant A registers dict as a collections.abc.Sequence (a process-wide ABC registry)
# expect: execution_error: registering a class
# then-expect: value: 1.0
import collections.abc

def metric(event):
    collections.abc.Sequence.register(dict)
    return 1.0
# --- tenant B ---
import collections.abc

def metric(event):
    return 0.0 if isinstance({}, collections.abc.Sequence) else 1.0
