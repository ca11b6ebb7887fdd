# attack: the unbound DataFrame.apply(df, 'to_csv', ...) dodging the bound-method wrapper
# expect: execution_error: may not call writers or readers by name
import pandas as pd

def metric(event):
    df = pd.DataFrame({'a': [1]})
    pd.DataFrame.apply(df, 'to_csv', path_or_buf='/tmp/owned.csv')
    return 1.0
