# attack: __import__('os') called directly
# expect: compilation_error: names starting with '_'
def metric(event):
    return __import__('os').getcwd()
