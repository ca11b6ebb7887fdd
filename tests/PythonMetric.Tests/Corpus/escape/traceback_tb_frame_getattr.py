# attack: tb_frame through getattr on a caught exception
# expect: execution_error: 'tb_frame'
def metric(event):
    try:
        1 / 0
    except Exception as e:
        return getattr(e, 'tb_frame')
