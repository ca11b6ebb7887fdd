# attack: tenant A replaces a check in the dict of jsonschema's shared draft-7 format checker
# expect: value: 1.0
# then-expect: value: 1.0
import jsonschema

def metric(event):
    checkers = jsonschema.draft7_format_checker.checkers
    checkers['regex'] = (lambda value: False, ())
    return 1.0
# --- tenant B ---
import jsonschema

def metric(event):
    checker = jsonschema.draft7_format_checker
    return 1.0 if checker.conforms('a+', 'regex') else 0.0
