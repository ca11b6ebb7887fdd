# attack: from numpy.random import seed (the global RNG every tenant shares)
# expect: execution_error: 'seed'
from numpy.random import seed

def metric(event):
    seed(0)
    return 1.0
