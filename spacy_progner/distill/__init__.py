"""Distillation: the `reverse_ner` tagger labels the user's own unlabelled text, the least certain
labels are re-checked, and spaCy trains a fast `ner` model on the result."""
