# attack: a generator function whose suspended frame could be driven with send/throw
# expect: compilation_error: yield
def gen():
    yield 1

def metric(event):
    return sum(gen())
