"""Domain specs (YAML): what a ProgGen run starts from.

A spec describes the kind of text to synthesize and its entity types::

    name: conll2003
    language: en
    domain: news stories
    description: Sentences from news stories ...
    no_entity_demo: The talks ended late on Tuesday without an agreement.
    entity_types:
      PER:
        definition: a person's name ...
        demo:
          sentence: Anna Keller met ...
          entities: [{text: Anna Keller, label: PER}, ...]
        guideline:
          rule: what is and what is not a PER ...
          demos:
            - {sentence: ..., span: Anna Keller, answer: A}
            - {sentence: ..., span: Keller, answer: B, fix: Anna Keller}
            - {sentence: ..., span: Keller Holdings, answer: C, fix: ORG}
            - {sentence: ..., span: the minister, answer: D}

An optional `surface: {lowercase: true, punctuation: false}` says how the target text is written
(MIT queries are lower-cased speech transcripts without punctuation); `to-docbin` writes the
training docs that way, since the model writes ordinary cased, punctuated sentences.

`entity_types: {LABEL: {definition: ...}}` is the same shape `LabelSet.from_any(path)` reads,
so a spec file is also a labels file. Every error names the file and the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Set, Tuple, Union

from ..errors import ProgNERError
from ..files import read_data_file
from .align import find_occurrences
from .labels import LabelSet
from .shapes import Shapes, learn_scripts, learn_shapes

ANSWERS = ("A", "B", "C", "D")
OTHER = "other"


class DomainSpecError(ProgNERError, ValueError):
    """A domain spec is malformed; the message names the file and the key."""


@dataclass
class Demo:
    sentence: str
    entities: List[Tuple[str, str]]

    def to_answer(self) -> Dict[str, Any]:
        return {"sentence": self.sentence, "entities": [{"text": t, "label": lab} for t, lab in self.entities]}


@dataclass
class GuidelineDemo:
    sentence: str
    span: str
    answer: str  # A correct, B wrong boundary, C wrong type, D not an entity
    fix: str = ""  # B: the right span; C: the right type or "other"


@dataclass
class EntityType:
    label: str
    definition: str
    demo: Demo
    rule: str
    guideline_demos: List[GuidelineDemo]


@dataclass
class Surface:
    """How the target text is written; the synthetic training docs are rewritten to match."""

    lowercase: bool = False
    punctuation: bool = True

    @property
    def changes_text(self) -> bool:
        return self.lowercase or not self.punctuation


@dataclass
class DomainSpec:
    name: str
    domain: str
    description: str
    language: str
    no_entity_demo: str
    types: Dict[str, EntityType]
    path: str = "<spec>"
    extra_demos: List[Demo] = field(default_factory=list)
    surface: Surface = field(default_factory=Surface)

    @property
    def labels(self) -> LabelSet:
        return LabelSet({k: t.definition for k, t in self.types.items()}, where=f"{self.path}: entity_types")

    def names(self) -> Dict[str, List[str]]:
        """Every entity text the spec shows, by type: demo entities, and guideline spans judged or fixed
        to be of a type (A: the span; B: the fixed span; C: the span under the fixed type)."""
        out: Dict[str, List[str]] = {}
        for demo in self.demos():
            for text, label in demo.entities:
                out.setdefault(label, []).append(text)
        for label, t in self.types.items():
            for g in t.guideline_demos:
                if g.answer == "A":
                    out.setdefault(label, []).append(g.span)
                elif g.answer == "B" and g.fix:
                    out.setdefault(label, []).append(g.fix)
                elif g.answer == "C" and g.fix in self.types:
                    out.setdefault(g.fix, []).append(g.span)
        return out

    def not_entities(self) -> Dict[str, Set[str]]:
        """Per type, the spans its guideline demos judge D, not an entity ("book the
        restaurant for six": "restaurant" is no Restaurant_Name): an annotation of exactly such a text
        under that type contradicts the spec itself, so correction can drop it without a call."""
        out: Dict[str, Set[str]] = {}
        for label, t in self.types.items():
            for g in t.guideline_demos:
                if g.answer == "D":
                    out.setdefault(label, set()).add(g.span)
        return out

    def shapes(self) -> Shapes:
        """What each type's entities look like in the spec (see ner.shapes); at least 3 names a type."""
        return learn_shapes(self.names(), min_names=3)

    def scripts(self) -> FrozenSet[str]:
        """The scripts the spec's demo sentences are written in (see ner.shapes.foreign_letters)."""
        return learn_scripts(d.sentence for d in self.demos())

    def demos(self) -> List[Demo]:
        """One demo per type, the extra ones, and the no-entity demo."""
        out = [t.demo for t in self.types.values()] + list(self.extra_demos)
        if self.no_entity_demo:
            out.append(Demo(self.no_entity_demo, []))
        return out

    @classmethod
    def load(cls, path: Union[str, Path]) -> DomainSpec:
        data = read_data_file(path, "domain spec", DomainSpecError)
        return cls.from_dict(data, where=str(path))

    @classmethod
    def from_dict(cls, data: Any, where: str = "<spec>") -> DomainSpec:
        if not isinstance(data, Mapping):
            raise DomainSpecError(f"{where}: a domain spec must be a mapping, got {type(data).__name__}")
        name = _str(data, "name", where, default=Path(where).stem)
        domain = _str(data, "domain", where)
        description = _str(data, "description", where, default=domain)
        language = _str(data, "language", where, default="en")
        no_entity = _str(data, "no_entity_demo", where, default="")
        raw_types = data.get("entity_types")
        if not isinstance(raw_types, Mapping) or not raw_types:
            raise DomainSpecError(f"{where}: key 'entity_types' must map each entity type to its definition and demos")
        labels = list(raw_types)
        try:
            LabelSet(
                {k: (v or {}).get("definition", "") if isinstance(v, Mapping) else "" for k, v in raw_types.items()},
                where=f"{where}: entity_types",
            )
        except ValueError as err:
            raise DomainSpecError(str(err)) from err
        types = {}
        for label, body in raw_types.items():
            key = f"{where}: entity_types.{label}"
            if not isinstance(body, Mapping):
                raise DomainSpecError(f"{key}: expected a mapping with definition, demo and guideline")
            definition = _str(body, "definition", key)
            demo = _demo(body.get("demo"), labels, f"{key}.demo")
            if not any(lab == label for _, lab in demo.entities):
                raise DomainSpecError(f"{key}.demo: the demo sentence of {label} must contain a {label} entity")
            guideline = body.get("guideline")
            if not isinstance(guideline, Mapping):
                raise DomainSpecError(f"{key}.guideline: missing; give 'rule' and 'demos' for self-correction")
            rule = _str(guideline, "rule", f"{key}.guideline")
            gdemos = guideline.get("demos")
            if not isinstance(gdemos, list) or not gdemos:
                raise DomainSpecError(f"{key}.guideline.demos: give a list of labelled demo spans")
            types[label] = EntityType(
                label,
                definition,
                demo,
                rule,
                [_gdemo(d, labels, f"{key}.guideline.demos[{i}]") for i, d in enumerate(gdemos)],
            )
        extra = data.get("demos") or []
        if not isinstance(extra, list):
            raise DomainSpecError(f"{where}: key 'demos' must be a list of {{sentence, entities}}")
        extra_demos = [_demo(d, labels, f"{where}: demos[{i}]") for i, d in enumerate(extra)]
        surface = _surface(data.get("surface"), f"{where}: surface")
        return cls(name, domain, description, language, no_entity, types, where, extra_demos, surface)


def _surface(data: Any, where: str) -> Surface:
    if data is None:
        return Surface()
    if not isinstance(data, Mapping):
        raise DomainSpecError(f"{where}: expected a mapping like {{lowercase: true, punctuation: false}}")
    unknown = sorted(set(data) - {"lowercase", "punctuation"})
    if unknown:
        raise DomainSpecError(f"{where}: unknown key(s) {unknown}; known: lowercase, punctuation")
    for key, value in data.items():
        if not isinstance(value, bool):
            raise DomainSpecError(f"{where}.{key}: expected true or false, got {value!r}")
    return Surface(**data)


def _str(data: Mapping, key: str, where: str, default: Optional[str] = None) -> str:
    value = data.get(key, default)
    if value is None:
        raise DomainSpecError(f"{where}: missing key '{key}'")
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise DomainSpecError(f"{where}: key '{key}' must be a non-empty string, got {value!r}")
    return " ".join(value.split())


def _demo(data: Any, labels: List[str], where: str) -> Demo:
    if not isinstance(data, Mapping):
        raise DomainSpecError(f"{where}: expected a mapping with 'sentence' and 'entities'")
    sentence = _str(data, "sentence", where)
    ents = data.get("entities")
    if not isinstance(ents, list):
        raise DomainSpecError(f"{where}: key 'entities' must be a list of {{text, label}}")
    out = []
    for i, ent in enumerate(ents):
        if (
            not isinstance(ent, Mapping)
            or not isinstance(ent.get("text"), str)
            or not isinstance(ent.get("label"), str)
        ):
            raise DomainSpecError(f"{where}.entities[{i}]: expected {{text, label}}, got {ent!r}")
        if ent["label"] not in labels:
            raise DomainSpecError(f"{where}.entities[{i}]: unknown type {ent['label']!r}; known: {', '.join(labels)}")
        if not find_occurrences(sentence, ent["text"]):
            raise DomainSpecError(f"{where}.entities[{i}]: {ent['text']!r} does not occur in the sentence")
        out.append((ent["text"], ent["label"]))
    return Demo(sentence, out)


def _gdemo(data: Any, labels: List[str], where: str) -> GuidelineDemo:
    if not isinstance(data, Mapping):
        raise DomainSpecError(f"{where}: expected {{sentence, span, answer, fix}}")
    sentence, span = _str(data, "sentence", where), _str(data, "span", where)
    answer = str(data.get("answer", "")).strip().upper()
    if answer not in ANSWERS:
        raise DomainSpecError(f"{where}: key 'answer' must be one of A, B, C, D, got {data.get('answer')!r}")
    if not find_occurrences(sentence, span):
        raise DomainSpecError(f"{where}: span {span!r} does not occur in the sentence")
    fix = str(data.get("fix") or "").strip()
    if answer == "B" and not (fix and find_occurrences(sentence, fix)):
        raise DomainSpecError(f"{where}: answer B needs 'fix', the right span, occurring in the sentence")
    if answer == "C" and fix not in labels and fix != OTHER:
        raise DomainSpecError(
            f"{where}: unknown type {fix!r} in 'fix'; answer C needs one of {', '.join(labels)} or 'other'"
        )
    return GuidelineDemo(sentence, span, answer, fix)


def spec_domain(labels: Any) -> str:
    """The text domain of `labels` when it names a domain spec file (so the spec's domain reaches the
    reverse_ner library build as it reaches ProgGen), else ""."""
    if not isinstance(labels, (str, Path)):
        return ""
    data = read_data_file(labels, "labels", DomainSpecError)
    return (
        DomainSpec.from_dict(data, where=str(labels)).domain
        if isinstance(data, Mapping) and "entity_types" in data
        else ""
    )
