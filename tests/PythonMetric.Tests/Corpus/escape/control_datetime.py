# control: datetime arithmetic
# expect: value: 2.0
from datetime import date

def metric(event):
    return (date(2024, 1, 3) - date(2024, 1, 1)).days
