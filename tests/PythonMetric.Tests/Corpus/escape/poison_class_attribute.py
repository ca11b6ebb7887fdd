# attack: tenant A sets an attribute on a library class (collections.Counter)
# expect: execution_error: may not modify type
# then-expect: value: 1.0
import collections

def metric(event):
    collections.Counter.most_common = None
    return 1.0
# --- tenant B ---
import collections

def metric(event):
    return 1.0 if collections.Counter('aab').most_common(1) == [('a', 2)] else 0.0
