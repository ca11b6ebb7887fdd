# attack: nested quantifiers that never match, scanned from every start position
# expect: timeout_error
import re

def metric(event):
    return 1.0 if re.search('(x+x+)+y', 'x' * 5000) else 0.0
