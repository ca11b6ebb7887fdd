# attack: AgglomerativeClustering(memory='/tmp/x') caches pickles on the worker's disk between tenants
# expect: execution_error: memory=
from sklearn.cluster import AgglomerativeClustering

def metric(event):
    AgglomerativeClustering(n_clusters=2, memory='/tmp/hh-cache').fit([[0.0], [1.0], [5.0]])
    return 1.0
