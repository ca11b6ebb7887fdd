# attack: json.decoder (a submodule outside the allowlist) and its re/scanner internals
# expect: execution_error: 'json.decoder' is not available
import json

def metric(event):
    return json.decoder
