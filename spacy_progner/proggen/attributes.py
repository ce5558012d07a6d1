"""Diversify X: attribute dimensions of the domain's text (topic, style, ...) and values for each.

Output (YAML, for hand review): {domain, dimensions: {name: {description, probability, values: [...]}}}.
`topic` is always the first dimension (the latent entity pools are conditioned on it) and is always used;
the other dimensions are used in a generation prompt with their `probability`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Dict, List

from ..errors import StepError
from ..llm import ChatModel, ChatRequest
from ..ner.answers import AnswerError, closed_object, compact, parse_json_answer, string_list_schema
from ..ner.domain import DomainSpec
from ..seeds import rng_for
from .common import Warnings, ask_lists, dedupe

TOPIC = "topic"


@dataclass
class AttributeSettings:
    n_dimensions: int = 4  # besides topic
    n_values: int = 8  # asked per call
    calls_per_dimension: int = 2
    max_values: int = 20  # kept per dimension
    probability: float = 0.5  # of using a non-topic dimension in a prompt
    temperature: float = 1.0
    seed: int = 0


def _system(spec: DomainSpec) -> str:
    return (
        f"You help build a diverse dataset of {spec.domain} ({spec.description}) "
        "for training a named entity recognizer. Answer compact JSON on one line."
    )


def _examples(spec: DomainSpec, rng) -> str:
    demos = [d.sentence for d in spec.demos()]
    rng.shuffle(demos)
    return "\n".join(f"- {s}" for s in demos[:4])


DIM_SCHEMA = closed_object(
    {
        "dimensions": {
            "type": "array",
            "minItems": 1,
            "maxItems": 8,
            "items": closed_object({"name": {"type": "string"}, "description": {"type": "string"}}),
        }
    }
)


def dimension_request(spec: DomainSpec, s: AttributeSettings) -> ChatRequest:
    rng = rng_for(s.seed, spec.name, "dimensions")
    demo = {"dimensions": [{"name": "topic", "description": "what the text is about"}]}
    user = (
        f"Example texts:\n{_examples(spec, rng)}\n\n"
        f"Besides the topic, name {s.n_dimensions} attribute dimensions that make {spec.domain} diverse "
        "(for example writing style or length), each with a short snake_case name and a short description. "
        f"Format: {compact(demo)}"
    )
    return ChatRequest(
        messages=[{"role": "system", "content": _system(spec)}, {"role": "user", "content": user}],
        temperature=s.temperature,
        seed=s.seed,
        max_tokens=60 + 40 * s.n_dimensions,
        json_schema=DIM_SCHEMA,
    )


def value_request(spec: DomainSpec, s: AttributeSettings, name: str, description: str, call: int) -> ChatRequest:
    rng = rng_for(s.seed, spec.name, name, call)
    what = name.replace("_", " ")
    user = (
        f"Example texts:\n{_examples(spec, rng)}\n\n"
        f"List {s.n_values} diverse, specific values of the attribute '{what}' ({description}) "
        f"for {spec.domain}. Keep each value short. "
        f'Format: {{"values":["...","..."]}}'
    )
    return ChatRequest(
        messages=[{"role": "system", "content": _system(spec)}, {"role": "user", "content": user}],
        temperature=s.temperature,
        seed=s.seed * 1000 + call,
        max_tokens=20 + 12 * s.n_values,
        json_schema=string_list_schema("values", s.n_values),
    )


def _snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def build_attributes(model: ChatModel, spec: DomainSpec, s: AttributeSettings) -> Dict[str, Any]:
    """Ask for dimensions, then values per dimension; returns the attributes document and metrics."""
    warnings = Warnings("attributes")
    drops: Counter = Counter()
    dims: Dict[str, str] = {TOPIC: f"what the {spec.domain} are about"}
    if s.n_dimensions > 0:
        result = model.chat(dimension_request(spec, s))
        try:
            data = parse_json_answer(result.choices[0], "attributes: dimension call")
            items = data.get("dimensions") if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise AnswerError(f"attributes: dimension call: answer has no 'dimensions' list: {compact(data)[:120]}")
        except AnswerError as err:
            warnings.add(str(err))
            items = []
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                drops["malformed_dimension"] += 1
                continue
            name = _snake(item["name"])
            if not name:
                drops["malformed_dimension"] += 1
            elif name in dims or name in ("topics", "subject", "theme"):
                drops["duplicate_dimension"] += 1
            elif len(dims) > s.n_dimensions:
                drops["extra_dimension"] += 1
            else:
                dims[name] = str(item.get("description") or name.replace("_", " "))
    requests, where, owners = [], [], []
    for name, description in dims.items():
        for call in range(s.calls_per_dimension):
            requests.append(value_request(spec, s, name, description, call))
            where.append(f"attributes: values of '{name}', call {call}")
            owners.append(name)
    answers = ask_lists(model, requests, "values", where, warnings, progress="attribute values")
    raw: Dict[str, List[str]] = {name: [] for name in dims}
    for name, values in zip(owners, answers):
        raw[name].extend(values or [])
    out: Dict[str, Any] = {}
    counts = {}
    for name, description in dims.items():
        # A value must say something in words ("long feature", not "250"): numbers alone are dropped.
        worded = [v for v in raw[name] if re.search(r"[^\W\d_]", v)]
        if len(worded) < len(raw[name]):
            drops["value_without_words"] += len(raw[name]) - len(worded)
        values, d = dedupe(worded, max_words=8)
        drops.update({f"value_{k}": v for k, v in d.items()})
        rng_for(s.seed, "shuffle", name).shuffle(values)
        values = values[: s.max_values]
        if not values:
            if name == TOPIC:
                raise StepError(
                    f"attributes: the model gave no usable value for '{TOPIC}' in {spec.path}; "
                    "see the warnings above (answers not JSON?)"
                )
            drops["empty_dimension"] += 1
            continue
        out[name] = {
            "description": description,
            "probability": 1.0 if name == TOPIC else s.probability,
            "values": values,
        }
        counts[name] = len(values)
    doc = {"domain": spec.name, "dimensions": out}
    metrics = {"dimensions": len(out), "values": counts, "drops": dict(drops), "warnings": warnings.to_dict()}
    return {"attributes": doc, "metrics": metrics}


def load_attributes(data: Any, where: str) -> Dict[str, Dict[str, Any]]:
    """Validate a (hand-edited) attributes document; returns {dimension: {probability, values}}."""
    dims = data.get("dimensions") if isinstance(data, dict) else None
    if not isinstance(dims, dict) or not dims:
        raise StepError(f"{where}: key 'dimensions' must map each dimension to its values")
    out = {}
    for name, body in dims.items():
        if not isinstance(body, dict) or not isinstance(body.get("values"), list) or not body["values"]:
            raise StepError(f"{where}: dimensions.{name}.values must be a non-empty list")
        prob = body.get("probability", 1.0)
        if not isinstance(prob, (int, float)) or not 0 <= prob <= 1:
            raise StepError(f"{where}: dimensions.{name}.probability must be a number in [0, 1], got {prob!r}")
        out[str(name)] = {"probability": float(prob), "values": [str(v) for v in body["values"]]}
    return out
