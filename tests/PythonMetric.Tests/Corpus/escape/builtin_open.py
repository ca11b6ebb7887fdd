# attack: open() a host file
# expect: execution_error: NameError
def metric(event):
    return open('/etc/passwd').read()
