# attack: numpy.zeros of 80 GB
# expect: execution_error: Unable to allocate
import numpy

def metric(event):
    return float(numpy.zeros(10 ** 10).sum())
