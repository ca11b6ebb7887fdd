# control: itertools.combinations
# expect: value: 3.0
import itertools

def metric(event):
    return len(list(itertools.combinations([1, 2, 3], 2)))
