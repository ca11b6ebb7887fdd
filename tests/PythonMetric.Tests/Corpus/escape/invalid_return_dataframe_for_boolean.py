# attack: a pandas object (whose __bool__ raises) returned for a boolean metric
# return_type: boolean
# expect: invalid_return_error: expected boolean
import pandas as pd

def metric(event):
    return pd.Series([True, False])
