# control: f-strings, print collected as stdout, and += on plain values
# expect: value: 5.0
def metric(event):
    total = 0
    for word in event['outputs']['content']:
        total += 1
    print(f'{total:>3} characters')
    return total
