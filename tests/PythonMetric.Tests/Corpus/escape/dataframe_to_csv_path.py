# attack: DataFrame.to_csv with a path writes a file
# expect: execution_error: may not write to a file
import pandas as pd

def metric(event):
    pd.DataFrame({'a': [1]}).to_csv('/tmp/owned.csv')
    return 1.0
