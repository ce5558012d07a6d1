"""Corpora between the methods and spaCy: the sample format (sentence + character-offset entities) to
DocBin, and labelled tokens + BIO data read as a gold set."""
