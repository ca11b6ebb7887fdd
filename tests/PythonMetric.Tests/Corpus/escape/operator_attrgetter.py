# attack: operator.attrgetter('__class__') resolves attributes outside the guards
# expect: execution_error: import of 'operator' is not allowed
import operator

def metric(event):
    return operator.attrgetter('__class__')(1)
