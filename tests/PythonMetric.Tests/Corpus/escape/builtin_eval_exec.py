# attack: eval/exec of a built string
# expect: compilation_error: Eval calls are not allowed
def metric(event):
    return eval('1 + 1')
