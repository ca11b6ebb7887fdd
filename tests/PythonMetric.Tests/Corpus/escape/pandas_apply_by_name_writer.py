# attack: DataFrame.apply('to_csv', path_or_buf=...) calls the writer by name with the real getattr
# expect: execution_error: may not call writers or readers by name
import pandas as pd

def metric(event):
    pd.DataFrame({'a': [1]}).apply('to_csv', path_or_buf='/tmp/owned.csv')
    return 1.0
