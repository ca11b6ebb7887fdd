# attack: ＿＿builtins＿＿ as a name
# expect: compilation_error: invalid character
def metric(event):
    return ＿＿builtins＿＿
