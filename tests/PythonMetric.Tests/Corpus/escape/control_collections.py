# control: collections.Counter and defaultdict
# expect: value: 2.0
from collections import Counter, defaultdict

def metric(event):
    counts = defaultdict(int)
    for ch in event['outputs']['content']:
        counts[ch] = counts[ch] + 1
    return Counter(event['outputs']['content'])['l'] if counts['l'] == 2 else 0.0
