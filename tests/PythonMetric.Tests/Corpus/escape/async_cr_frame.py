# attack: a coroutine's cr_frame
# expect: compilation_error: async
async def inner():
    return 1

def metric(event):
    return inner().cr_frame
