# control: statistics.mean
# expect: value: 2.5
import statistics

def metric(event):
    return statistics.mean([1, 2, 3, 4])
