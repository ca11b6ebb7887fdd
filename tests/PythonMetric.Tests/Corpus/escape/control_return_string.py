# control: return type string
# return_type: string
# expect: value: "HELLO"
def metric(event):
    return event['outputs']['content'].upper()
