# attack: tenant A replaces json.dumps; tenant B calls it
# expect: execution_error: may not modify module
# then-expect: value: 1.0
import json

def metric(event):
    json.dumps = lambda o: 'owned'
    return 1.0
# --- tenant B ---
import json

def metric(event):
    return 1.0 if json.dumps({'a': 1}) == '{"a": 1}' else 0.0
