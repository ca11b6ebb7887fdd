# attack: a class definition (dunder methods, metaclasses, __init_subclass__)
# expect: compilation_error: a metric is a function
class Metric:
    def score(self, event):
        return 1.0

def metric(event):
    return Metric().score(event)
