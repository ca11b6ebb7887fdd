# attack: a mathematical italic name folding to "eval"
# expect: compilation_error: Eval calls are not allowed
def metric(event):
    return 𝑒𝑣𝑎𝑙('1 + 1')
