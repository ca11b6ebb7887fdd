# attack: an async generator's ag_frame
# expect: compilation_error: async
async def agen():
    yield 1

def metric(event):
    return agen().ag_frame
