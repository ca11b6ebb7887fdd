# attack: type(x) to reach classes and build new types with type(name, bases, dict)
# expect: execution_error: NameError
def metric(event):
    return type('X', (), {})
