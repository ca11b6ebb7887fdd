# attack: sklearn.set_config changes process-wide settings for every tenant
# expect: execution_error: 'set_config'
import sklearn

def metric(event):
    sklearn.set_config(assume_finite=True)
    return 1.0
