# attack: a $ref to file:///etc/passwd makes jsonschema read a host file
# expect: execution_error: is not resolved in metrics
import jsonschema

def metric(event):
    jsonschema.validate({'a': 1}, {'$ref': 'file:///etc/passwd'})
    return 1.0
