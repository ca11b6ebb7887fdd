# control: TfidfVectorizer and cosine similarity on text
# expect: value: 1.0
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

def metric(event):
    matrix = TfidfVectorizer().fit_transform(['hello world', 'hello world'])
    return round(float(cosine_similarity(matrix[0], matrix[1])[0][0]), 6)
