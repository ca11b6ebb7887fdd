# attack: Series.agg('__class__') reads a dunder by name inside pandas
# expect: execution_error: names starting with '_'
import pandas as pd

def metric(event):
    return pd.Series([1]).agg('__class__')
