# control: item writes through pandas indexers (loc, iloc, at, iat), numpy flat and boolean masks, and
# setting DataFrame.columns, all on objects the metric made
# expect: value: 51.0
import pandas as pd
import numpy as np
def metric(event):
    df = pd.DataFrame({"a": [1, 2], "b": [3, 4]})
    df.loc[0, "a"] = 10
    df.iloc[1, 1] = 20
    df.at[1, "a"] = 5
    df.iat[0, 1] = 7
    s = df["a"].copy()
    s.loc[0] = 1
    arr = np.zeros(3)
    arr.flat[1] = 2
    arr[arr > 1] = 3
    df.columns = ["x", "y"]
    return float(df["x"].sum() + df["y"].sum() + s.sum() + arr.sum())
