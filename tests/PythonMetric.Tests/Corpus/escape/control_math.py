# control: math.sqrt and math.pi give the right value
# expect: value: 3.0
import math

def metric(event):
    return math.sqrt(9) if math.pi > 3 else 0.0
