# control: string constants and string.Template
# expect: value: 1.0
import string

def metric(event):
    text = string.Template('$word').substitute(word=event['outputs']['content'])
    return 1.0 if all(ch in string.ascii_lowercase for ch in text) else 0.0
