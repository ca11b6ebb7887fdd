# attack: pandas.eval evaluates expression strings with its own attribute resolution
# expect: execution_error: 'eval'
import pandas as pd

def metric(event):
    return float(pd.eval('1 + 1'))
