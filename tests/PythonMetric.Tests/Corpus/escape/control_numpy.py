# control: numpy mean of an array (a numpy scalar converted with .item())
# expect: value: 2.0
import numpy as np

def metric(event):
    values = np.array([1.0, 2.0, 3.0])
    values[0] = 1.0
    return np.mean(values)
