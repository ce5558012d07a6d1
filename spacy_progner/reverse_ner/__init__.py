"""ReverseNER: zero-shot NER with a self-built example library (arXiv 2411.00533)."""

from .build import BuildSettings, LibraryBuilder
from .component import ReverseNER, make_reverse_ner
from .infer import Tagger, TagSettings
from .library import ExampleLibrary
from .task import ReverseNERTask, make_reverse_ner_task

__all__ = [
    "ReverseNERTask",
    "make_reverse_ner_task",
    "BuildSettings",
    "ExampleLibrary",
    "LibraryBuilder",
    "ReverseNER",
    "TagSettings",
    "Tagger",
    "make_reverse_ner",
]
