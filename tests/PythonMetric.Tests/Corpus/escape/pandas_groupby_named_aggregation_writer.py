# attack: a named aggregation whose function is a writer's name
# expect: execution_error: 'to_pickle'
import pandas as pd

def metric(event):
    df = pd.DataFrame({'k': [1, 1], 'a': [1, 2]})
    return df.groupby('k').agg(out=('a', 'to_pickle'))
