# attack: a relative import to reach the harness's own modules
# expect: compilation_error: relative imports
from . import hh_guards

def metric(event):
    return 1.0
