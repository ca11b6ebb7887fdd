# attack: tenant A changes a pandas option for every tenant
# expect: execution_error: 'set_option'
# then-expect: value: 1.0
import pandas as pd

def metric(event):
    pd.set_option('display.max_rows', 1)
    return 1.0
# --- tenant B ---
import pandas as pd

def metric(event):
    return 1.0 if pd.get_option('display.max_rows') == 60 else 0.0
