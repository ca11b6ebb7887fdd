# attack: tenant A mutates the event it was given; tenant B gets its own
# expect: value: 1.0
# then-expect: value: 1.0
def metric(event):
    event['outputs']['content'] = 'owned'
    event.clear()
    return 1.0
# --- tenant B ---
def metric(event):
    return 1.0 if event['outputs']['content'] == 'hello' else 0.0
