# attack: string.Formatter().format resolves fields with getattr outside the guards
# expect: execution_error: 'Formatter'
import string

def metric(event):
    return string.Formatter().vformat('{0.__class__}', [1], {})
