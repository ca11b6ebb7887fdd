# attack: object to reach object.__subclasses__
# expect: execution_error: NameError
def metric(event):
    return len([object])
