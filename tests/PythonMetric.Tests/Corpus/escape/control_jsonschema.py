# control: jsonschema.validate accepts a matching document and rejects another
# expect: value: 1.0
import jsonschema

def metric(event):
    schema = {'type': 'object', 'properties': {'content': {'type': 'string'}}, 'required': ['content']}
    jsonschema.validate(event['outputs'], schema)
    try:
        jsonschema.validate({'content': 1}, schema)
    except jsonschema.ValidationError:
        return 1.0
    return 0.0
