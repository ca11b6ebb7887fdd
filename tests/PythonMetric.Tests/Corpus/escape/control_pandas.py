# control: a pandas DataFrame column sum, and to_csv without a path
# expect: value: 6.0
import pandas as pd

def metric(event):
    df = pd.DataFrame({'a': [1, 2, 3]})
    df['b'] = df['a'] * 2
    text = df.to_csv(index=False)
    return float(df['a'].sum()) if text.startswith('a,b') else 0.0
