# attack: a generator expression's gi_frame.f_back.f_globals to reach the harness globals
# expect: compilation_error: is not allowed in metrics
def metric(event):
    g = (x for x in [1])
    return g.gi_frame.f_back.f_globals
