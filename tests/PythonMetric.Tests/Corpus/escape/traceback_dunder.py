# attack: an exception's __traceback__ to get tb_frame
# expect: compilation_error: is not allowed in metrics
def metric(event):
    try:
        1 / 0
    except Exception as e:
        return e.__traceback__.tb_frame
