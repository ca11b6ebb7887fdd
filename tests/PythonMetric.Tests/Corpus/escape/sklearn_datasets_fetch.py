# attack: sklearn.datasets fetchers download and write files
# expect: execution_error: import of 'sklearn.datasets' is not allowed
from sklearn.datasets import fetch_openml

def metric(event):
    return 1.0
