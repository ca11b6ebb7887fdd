# attack: **kwargs named _inplacevar_
# expect: compilation_error: names starting with '_'
def metric(event, **_inplacevar_):
    return 1.0
