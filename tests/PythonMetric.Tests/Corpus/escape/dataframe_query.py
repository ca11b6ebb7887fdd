# attack: DataFrame.query evaluates expression strings (with @local lookups)
# expect: execution_error: 'query'
import pandas as pd

def metric(event):
    df = pd.DataFrame({'a': [1, 2, 3]})
    return float(len(df.query('a > 1')))
