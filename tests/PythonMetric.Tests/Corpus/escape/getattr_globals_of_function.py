# attack: the metric's own __globals__ through getattr, to reach the guards and __builtins__
# expect: execution_error: names starting with '_'
def metric(event):
    g = getattr(metric, ''.join([chr(95), chr(95), 'globals', chr(95), chr(95)]))
    return len(g)
