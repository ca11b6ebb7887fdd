# attack: tenant A registers a format check on jsonschema's shared FormatChecker
# expect: execution_error: 'checks'
# then-expect: value: 1.0
import jsonschema

def metric(event):
    jsonschema.draft7_format_checker.checks('email')(lambda value: False)
    return 1.0
# --- tenant B ---
import jsonschema

def metric(event):
    jsonschema.validate({'a': 1}, {'type': 'object'})
    return 1.0
