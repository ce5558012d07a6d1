"""Entity types with a one-sentence definition each: what every prompt is built from."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Tuple, Union

from ..errors import SettingsError
from ..files import read_data_file

LABEL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
# The outlet type a tagging prompt may offer beside the user's types (`LabelSet.with_other`): a name the
# text holds that none of the asked types covers goes there and is then dropped, instead of into the
# nearest asked type.
OTHER = "OTHER"
OTHER_DEFINITION = (
    "any other name or mention that none of the types above covers (for example a nationality, event, "
    "product, title of a work, date or amount, or a person, place or organisation when no type above is "
    "for it); it is set aside, so never force such a name into the nearest type"
)

# Named kinds of "other" names, offered beside the asked types where the model must say that a name is
# none of them: a small model asked "PER, ORG or NONE?" calls a country or a cup an organisation, but picks
# PLACE or EVENT when they are there to pick. A kind is left out when an asked type covers it: one of its
# words in that type's name or definition (a LOC type "a place: country, city ..." covers PLACE).
OTHER_KINDS: Dict[str, Tuple[str, Tuple[str, ...]]] = {
    "PLACE": ("a place: country, city, region, river or mountain", ("place", "country", "city", "location", "region")),
    "NATIONALITY": ("a nationality, language or religion word", ("nationality", "language", "religion", "norp")),
    "EVENT": ("a named event: war, games, cup, festival or summit", ("event", "festival", "tournament")),
    "PRODUCT": ("a product, currency, award or title of a work", ("product", "award", "title", "work", "brand")),
    "DATE": ("a date, time, amount or number", ("date", "time", "year", "amount", "number", "price", "quantity")),
}


class LabelSet(Mapping[str, str]):
    """Ordered label -> definition, validated once so prompts and parsers can trust it."""

    def __init__(self, definitions: Mapping[str, str], where: str = "labels"):
        if not isinstance(definitions, Mapping):
            raise SettingsError(f"{where}: expected a mapping of label -> definition, got {type(definitions).__name__}")
        if not definitions:
            raise SettingsError(f"{where}: no labels given; name at least one entity type with a definition")
        self._defs: Dict[str, str] = {}
        for label, definition in definitions.items():
            if not isinstance(label, str) or not LABEL_RE.match(label):
                raise SettingsError(f"{where}: label {label!r} must be a name like PER, ORG or Restaurant_Name")
            if not isinstance(definition, str) or not definition.strip():
                raise SettingsError(f"{where}: label {label} needs a non-empty one-sentence definition")
            self._defs[label] = " ".join(definition.split())

    @classmethod
    def from_any(cls, value: Union[LabelSet, Mapping[str, str], List[str], str, Path], where: str = "labels"):
        """Build from a mapping, a path to a YAML/JSON file (mapping, or a domain spec's `entity_types`)."""
        if isinstance(value, LabelSet):
            return value
        if isinstance(value, (str, Path)):
            path = Path(value)
            data = read_data_file(path, "labels", hint=f" ({where})")
            if isinstance(data, Mapping) and "entity_types" in data:
                data = {k: (v["definition"] if isinstance(v, Mapping) else v) for k, v in data["entity_types"].items()}
            return cls(data, where=str(path))
        if isinstance(value, list):
            raise SettingsError(f"{where}: labels need definitions: give a mapping like {{'PER': 'a person's name'}}")
        return cls(value, where=where)

    def __getitem__(self, label: str) -> str:
        return self._defs[label]

    def __iter__(self) -> Iterator[str]:
        return iter(self._defs)

    def __len__(self) -> int:
        return len(self._defs)

    def describe(self) -> str:
        """One line per type, for prompts."""
        return "\n".join(f"- {label}: {definition}" for label, definition in self._defs.items())

    def with_other(self) -> LabelSet:
        """These types and the OTHER outlet after them (a type the user named OTHER cannot have one)."""
        if OTHER in self._defs:
            raise SettingsError(f"the type name {OTHER} is kept for names of no asked type: rename that type")
        return LabelSet({**self._defs, OTHER: OTHER_DEFINITION}, where="labels with the OTHER outlet")

    def without_other(self) -> LabelSet:
        """The asked types alone (the set itself when it has no outlet)."""
        if OTHER not in self._defs:
            return self
        return LabelSet({k: v for k, v in self._defs.items() if k != OTHER}, where="labels without the outlet")

    def with_other_kinds(self) -> LabelSet:
        """The asked types (the outlet aside) and every kind of OTHER_KINDS none of them covers."""
        asked = self.without_other()
        words = set(re.findall(r"[a-z]+", " ".join(f"{k} {v}" for k, v in asked.items()).lower()))
        kinds = {
            kind: definition
            for kind, (definition, keys) in OTHER_KINDS.items()
            if kind not in asked and not words & {kind.lower(), *keys}
        }
        return LabelSet({**asked.to_dict(), **kinds}, where="labels with kinds of other names")

    def to_dict(self) -> Dict[str, str]:
        return dict(self._defs)
