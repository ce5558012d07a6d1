__title__ = "spacy-progner"
__version__ = "0.1.0"
