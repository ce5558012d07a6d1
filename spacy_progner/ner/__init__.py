"""NER pieces both methods share: label sets, JSON answers, span alignment."""

from .align import AlignStats, align_mentions
from .answers import AnswerError, entity_answer, entity_schema, mention_bound, parse_entities, parse_json_answer
from .labels import LabelSet

__all__ = [
    "AlignStats",
    "AnswerError",
    "LabelSet",
    "align_mentions",
    "entity_answer",
    "entity_schema",
    "mention_bound",
    "parse_entities",
    "parse_json_answer",
]
