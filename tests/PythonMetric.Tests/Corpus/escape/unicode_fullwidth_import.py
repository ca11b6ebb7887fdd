# attack: ＿＿import＿＿('os') spelled with fullwidth underscores
# expect: compilation_error: invalid character
def metric(event):
    return ＿＿import＿＿('os')
