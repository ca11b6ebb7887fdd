# control: json.loads and json.dumps round trip
# expect: value: 3.0
import json

def metric(event):
    data = json.loads(json.dumps({'a': [1, 2, 3]}))
    return len(data['a'])
