# attack: a mathematical italic "getattr" folds to the guarded getattr, which still refuses dunders
# expect: execution_error: names starting with '_'
def metric(event):
    return 𝑔𝑒𝑡𝑎𝑡𝑡𝑟((), '__class__')
