# attack: format_map with a mapping whose values expose attributes
# expect: compilation_error: '.format_map'
def metric(event):
    return '{a.__class__}'.format_map({'a': 1})
