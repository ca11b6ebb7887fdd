# attack: DataFrame.rolling(win_type=name) calls getattr(scipy.signal, name): a dunder name reaches module internals
# expect: execution_error: names starting with '_'
import pandas as pd

def metric(event):
    return float(pd.Series([1.0, 2.0, 3.0]).rolling(2, win_type='__class__').sum().sum())
