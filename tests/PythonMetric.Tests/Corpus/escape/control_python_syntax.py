# control: everyday syntax works under the guards (annotations, keyword-only args, *args/**kwargs calls,
# star unpacking, dict |=, del of an item, walrus, try/finally, with numpy.errstate, lambdas, f-strings)
# expect: value: 22.0
import numpy as np
from collections import Counter
WEIGHTS = {"a": 1.0, "b": 2.0}

def helper(x: float, *, scale: float = 1.0) -> float:
    return x * scale

def metric(event: dict) -> float:
    text: str = event["outputs"]["content"]
    words = [w for w in text.split() if w]
    counts = {w: len(w) for w in words}
    first, *rest = [1, 2, 3]
    d = dict(a=1)
    d |= {"b": 2}
    del d["a"]
    total = 0
    i = 0
    while i < 3:
        i += 1
    try:
        assert i == 3, "loop"
        raise ValueError("x")
    except ValueError as err:
        msg = str(err)
    finally:
        total += 1
    if (n := len(text)) > 2:
        total += n
    args = [2.0]
    kwargs = {"scale": 2.0}
    total += helper(*args, **kwargs)
    s = {1, 2} & {2, 3}
    arr = np.arange(6).reshape(2, 3)
    total += float(arr[1, 2]) + float(arr[:, 0].sum())
    inner = lambda y=1: y + first
    total += inner()
    total += Counter("aab")["a"]
    print(f"{total:.2f} {msg!r} {text[1:3]}")
    for k, v in sorted(counts.items()):
        total += 0 * v
    for _ in range(2):
        pass
    with np.errstate(divide="ignore"):
        z = np.float64(1.0) / 0.0
    return total if 0 < total < 100 and z > 0 and s == {2} and d == {"b": 2} else -1
