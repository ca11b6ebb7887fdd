# attack: functools.total_ordering(cls) sets methods on a library class for every tenant
# expect: execution_error: 'total_ordering'
import functools
import collections

def metric(event):
    functools.total_ordering(collections.OrderedDict)
    return 1.0
