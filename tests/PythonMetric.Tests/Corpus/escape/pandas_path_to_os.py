# attack: pandas.io.common.os: an attribute chain from pandas to os
# expect: execution_error: 'pandas.io' is not available
import pandas as pd

def metric(event):
    return pd.io.common.os.getcwd()
