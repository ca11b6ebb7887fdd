# attack: n_jobs=2 makes joblib cloudpickle the metric's scorer into a child interpreter with the real
# builtins, where open() works; joblib is forced sequential, so the scorer runs here, under the guards
# expect: execution_error: NameError: name 'open' is not defined
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import make_scorer

def sneaky(y_true, y_pred):
    return float(len(open('/etc/hostname').read()))

def metric(event):
    X = [[0.0], [1.0], [2.0], [3.0], [0.5], [2.5], [0.2], [2.8]]
    y = [0, 0, 1, 1, 0, 1, 0, 1]
    model = LogisticRegressionCV(cv=2, n_jobs=2, scoring=make_scorer(sneaky)).fit(X, y)
    return float(model.scores_[1].mean())
