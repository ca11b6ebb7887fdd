# attack: fullwidth letters spelling gi_frame (NFKC folds them to gi_frame before our check)
# expect: compilation_error: '.gi_frame' is not allowed
def metric(event):
    g = (x for x in [1])
    return g.ｇｉ_ｆｒａｍｅ
