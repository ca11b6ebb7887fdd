# control: rolling windows, with and without a scipy window type
# expect: value: 13.0
import pandas as pd

def metric(event):
    s = pd.Series([1.0, 2.0, 3.0])
    return float(s.rolling(2).sum().sum() + s.rolling(2, win_type='boxcar').sum().sum() - 3.0)
