# attack: import pandas.io.common (whose os attribute is the real os)
# expect: execution_error: import of 'pandas.io.common' is not allowed
import pandas.io.common

def metric(event):
    return 1.0
