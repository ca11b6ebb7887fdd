# attack: fullwidth underscores (＿＿class＿＿) which NFKC folds into __class__
# expect: compilation_error: invalid character
def metric(event):
    return ().＿＿class＿＿
