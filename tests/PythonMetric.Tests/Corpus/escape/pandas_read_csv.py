# attack: pandas.read_csv on a host file
# expect: execution_error: 'read_csv'
import pandas as pd

def metric(event):
    return float(len(pd.read_csv('/etc/passwd')))
