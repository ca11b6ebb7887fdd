# attack: walking __context__/__cause__ of a caught exception to the harness's exceptions
# expect: compilation_error: names starting with '_'
def metric(event):
    try:
        {}['x']
    except KeyError as e:
        return e.__context__
