# attack: from string import Formatter (IMPORT_FROM reads the module with the real getattr)
# expect: execution_error: 'Formatter'
from string import Formatter

def metric(event):
    return Formatter().vformat('{0.__class__}', [1], {})
