# control: difflib.SequenceMatcher ratio
# expect: value: 0.8
import difflib

def metric(event):
    return difflib.SequenceMatcher(None, 'hello', 'hallo').ratio()
