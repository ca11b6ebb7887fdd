# control: sklearn.metrics.f1_score
# expect: value: 0.8
from sklearn.metrics import f1_score

def metric(event):
    return f1_score([1, 1, 1, 0], [1, 1, 0, 0])
