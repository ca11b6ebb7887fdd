# attack: an error raised inside a library, hoping the traceback shows host paths and harness frames
# expect: execution_error: JSONDecodeError: Expecting property name
import json

def metric(event):
    return json.loads('{not json')
