# attack: re.copyreg (a module outside the allowlist that registers pickle reducers)
# expect: execution_error: 'copyreg' is not available
import re

def metric(event):
    return re.copyreg
