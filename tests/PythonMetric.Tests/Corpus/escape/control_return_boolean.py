# control: return type boolean
# return_type: boolean
# expect: value: true
def metric(event):
    return 'ell' in event['outputs']['content']
