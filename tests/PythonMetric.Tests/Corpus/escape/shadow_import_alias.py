# attack: an import alias named _getattr_
# expect: compilation_error: names starting with '_'
import math as _getattr_

def metric(event):
    return 1.0
