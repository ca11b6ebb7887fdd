# attack: import builtins (the real builtins module with open, eval, __import__)
# expect: compilation_error: reserved name
import builtins

def metric(event):
    return 1.0
