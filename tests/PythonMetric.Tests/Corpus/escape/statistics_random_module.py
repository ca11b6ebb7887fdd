# attack: statistics.random (the random module, whose seed is process-wide) through an allowed module
# expect: execution_error: 'random' is not available
import statistics

def metric(event):
    statistics.random.seed(1)
    return 1.0
