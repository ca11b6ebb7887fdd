# attack: a categorical answer outside the categories
# return_type: categorical
# categories: short|long
# expect: invalid_return_error: not one of the categories
def metric(event):
    return 'medium'
