# attack: catastrophic backtracking, (a+)+$ on 64 a's and a b: 2**64 steps inside the C regex engine
# expect: timeout_error
import re

def metric(event):
    return 1.0 if re.match('(a+)+$', 'a' * 64 + 'b') else 0.0
