# attack: from numpy import load (IMPORT_FROM bypasses _getattr_ unless the import checks it)
# expect: execution_error: 'load'
from numpy import load

def metric(event):
    return 1.0
