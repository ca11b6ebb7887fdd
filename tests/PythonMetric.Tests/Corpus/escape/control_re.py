# control: re.findall over the output
# expect: value: 2.0
import re

def metric(event):
    return len(re.findall(r'l', event['outputs']['content']))
