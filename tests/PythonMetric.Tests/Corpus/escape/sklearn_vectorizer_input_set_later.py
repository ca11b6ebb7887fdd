# attack: switching a vectorizer to input='filename' after construction
# expect: execution_error: may not set 'input'
from sklearn.feature_extraction.text import CountVectorizer

def metric(event):
    vectorizer = CountVectorizer()
    vectorizer.input = 'filename'
    return 1.0
