# control: sklearn.metrics.accuracy_score
# expect: value: 0.75
from sklearn.metrics import accuracy_score

def metric(event):
    return accuracy_score([1, 1, 0, 0], [1, 1, 0, 1])
