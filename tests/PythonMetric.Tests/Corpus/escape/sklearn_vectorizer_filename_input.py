# attack: CountVectorizer(input='filename') opens the paths it is given: a host file read
# expect: execution_error: input='content'
from sklearn.feature_extraction.text import CountVectorizer

def metric(event):
    vectorizer = CountVectorizer(input='filename')
    vectorizer.fit(['/etc/passwd'])
    return float(len(vectorizer.vocabulary_))
