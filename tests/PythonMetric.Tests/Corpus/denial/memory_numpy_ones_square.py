# attack: a 100000 x 100000 numpy matrix (80 GB)
# expect: execution_error: Unable to allocate
import numpy

def metric(event):
    return float(numpy.ones((100000, 100000)).sum())
