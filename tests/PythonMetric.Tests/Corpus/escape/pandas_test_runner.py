# attack: pandas.test() runs the test suite (imports pytest, walks the file system)
# expect: execution_error: 'test'
import pandas as pd

def metric(event):
    pd.test()
    return 1.0
