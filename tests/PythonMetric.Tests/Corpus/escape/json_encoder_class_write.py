# attack: replacing a method on json.JSONEncoder for every tenant
# expect: execution_error: may not modify type
import json

def metric(event):
    json.JSONEncoder.default = lambda self, o: 'owned'
    return 1.0
