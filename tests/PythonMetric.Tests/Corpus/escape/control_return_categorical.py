# control: return type categorical
# return_type: categorical
# categories: short|long
# expect: value: "short"
def metric(event):
    return 'short' if len(event['outputs']['content']) < 10 else 'long'
