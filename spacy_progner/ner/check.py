"""What a labels file or domain spec says, checked without a model call: the types, their demos and
guideline demos, and the rules they imply (the shape each type's names have, the scripts of the text).
Every fault is the loader's own error, naming the file and the key."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Dict, Mapping, Union

from ..files import read_data_file
from .domain import DomainSpec, DomainSpecError
from .labels import LabelSet


def is_domain_spec(data: Any) -> bool:
    return isinstance(data, Mapping) and "entity_types" in data


def describe(path: Union[str, Path]) -> Dict[str, Any]:
    """The file's content as the package reads it: a domain spec (used by every workflow) or a labels
    file (enough for `reverse_ner` and `annotate`, not for ProgGen or correction)."""
    data = read_data_file(path, "labels or domain spec", DomainSpecError)
    if not is_domain_spec(data):
        labels = LabelSet.from_any(path)
        return {"kind": "labels", "path": str(path), "types": dict(labels)}
    spec = DomainSpec.load(path)
    shapes = spec.shapes()
    return {
        "kind": "domain spec",
        "path": str(path),
        "name": spec.name,
        "domain": spec.domain,
        "language": spec.language,
        "types": {label: t.definition for label, t in spec.types.items()},
        "demos": len(spec.demos()),
        "no_entity_demo": bool(spec.no_entity_demo),
        "guideline_demos": {
            label: dict(sorted(Counter(g.answer for g in t.guideline_demos).items())) for label, t in spec.types.items()
        },
        "names_per_type": {label: len(names) for label, names in spec.names().items()},
        "shapes": {label: _shape_rule(rule) for label, rule in shapes.items()},
        "scripts": sorted(spec.scripts()),
        "surface": {"lowercase": spec.surface.lowercase, "punctuation": spec.surface.punctuation},
    }


def _shape_rule(rule: Mapping[str, bool]) -> str:
    """The filter a type's names imply, in words (see ner.shapes)."""
    parts = []
    if rule.get("letter"):
        parts.append("holds a letter")
    if rule.get("capital"):
        parts.append("holds a capital")
    return " and ".join(parts) or "no rule"
