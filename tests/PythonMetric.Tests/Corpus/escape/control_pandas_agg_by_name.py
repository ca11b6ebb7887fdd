# control: aggregation by ordinary method names still works
# expect: value: 7.5
import pandas as pd

def metric(event):
    df = pd.DataFrame({'k': [1, 1, 2], 'a': [1, 2, 3]})
    grouped = df.groupby('k').agg(total=('a', 'sum'))
    return float(grouped['total'].sum()) + float(pd.Series([1, 2]).agg('mean'))
