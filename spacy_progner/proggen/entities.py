"""Diversify Y: entity pools per type, plain ("vanilla") or conditioned on each topic value ("latent").

Output (JSON): {"vanilla": {TYPE: [...]}, "latent": {topic: {TYPE: [...]}}}; deduplicated across calls.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from ..errors import StepError
from ..llm import ChatModel, ChatRequest
from ..ner.answers import string_list_schema
from ..ner.domain import DomainSpec
from ..seeds import rng_for
from .attributes import TOPIC
from .common import Warnings, ask_lists, dedupe, norm

KINDS = ("vanilla", "latent", "both")


@dataclass
class EntitySettings:
    kind: str = "both"
    n_per_call: int = 10
    calls_per_type: int = 2
    n_per_topic: int = 5  # latent: asked per (topic, type)
    max_topics: Optional[int] = None  # latent: first N topic values (None: all)
    temperature: float = 1.0
    seed: int = 0


def _examples(spec: DomainSpec, label: str, rng) -> str:
    demos = [d for d in spec.demos() if any(lab == label for _, lab in d.entities)]
    rng.shuffle(demos)
    ents = [t for d in demos for t, lab in d.entities if lab == label]
    return ", ".join(f'"{e}"' for e in ents[:3])


def pool_request(
    spec: DomainSpec, label: str, n: int, seed: int, temperature: float, call: int, topic: Optional[str] = None
) -> ChatRequest:
    rng = rng_for(seed, spec.name, label, topic, call)
    where = f" in {spec.domain}" + (f" about the topic '{topic}'" if topic else "")
    user = (
        f"Entity type {label}: {spec.types[label].definition}\n"
        f"Examples of {label}: {_examples(spec, label, rng)}\n\n"
        f"List {n} diverse {label} entities that could appear{where}. "
        "Vary them (well known and rare, short and long); give only names of this type, no descriptions. "
        'Format: {"entities":["...","..."]}'
    )
    return ChatRequest(
        messages=[
            {
                "role": "system",
                "content": f"You help build a dataset of {spec.domain} ({spec.description}) for named entity "
                "recognition. Answer compact JSON on one line.",
            },
            {"role": "user", "content": user},
        ],
        temperature=temperature,
        seed=seed * 1000 + call,
        max_tokens=16 + 10 * n,
        json_schema=string_list_schema("entities", n),
    )


def build_pools(
    model: ChatModel, spec: DomainSpec, s: EntitySettings, topics: Optional[List[str]] = None
) -> Dict[str, Any]:
    if s.kind not in KINDS:
        raise StepError(f"entities: kind must be one of {', '.join(KINDS)}, got {s.kind!r}")
    warnings = Warnings("entities")
    drops: Counter = Counter()
    requests: List[ChatRequest] = []
    where: List[str] = []
    owners: List[Tuple[Optional[str], str]] = []
    if s.kind in ("vanilla", "both"):
        for label in spec.types:
            for call in range(s.calls_per_type):
                requests.append(pool_request(spec, label, s.n_per_call, s.seed, s.temperature, call))
                where.append(f"entities: vanilla pool of {label}, call {call}")
                owners.append((None, label))
    if s.kind in ("latent", "both"):
        if not topics:
            raise StepError(f"entities: latent pools need topic values; the attributes have no '{TOPIC}' values")
        for topic in topics[: s.max_topics]:
            for label in spec.types:
                requests.append(pool_request(spec, label, s.n_per_topic, s.seed, s.temperature, 0, topic))
                where.append(f"entities: latent pool of {label} for topic {topic!r}")
                owners.append((topic, label))
    answers = ask_lists(model, requests, "entities", where, warnings, progress="entity pools")
    raw: Dict[Any, List[str]] = {}
    for owner, values in zip(owners, answers):
        raw.setdefault(owner, []).extend(values or [])
    vanilla: Dict[str, List[str]] = {}
    latent: Dict[str, Dict[str, List[str]]] = {}
    demo_names = {norm(t) for d in spec.demos() for t, _ in d.entities}
    for (topic, label), values in raw.items():
        kept, d = dedupe(values, max_words=8)
        drops.update(d)
        # The demos' own entities come back often; the pools are for new ones.
        fresh = [v for v in kept if norm(v) not in demo_names]
        if len(fresh) < len(kept):
            drops["copies_a_demo_entity"] += len(kept) - len(fresh)
        kept = fresh
        if topic is None:
            vanilla[label] = kept
        else:
            latent.setdefault(topic, {})[label] = kept
    for label in spec.types:
        if s.kind in ("vanilla", "both") and not vanilla.get(label):
            raise StepError(
                f"entities: the vanilla pool of {label} ({spec.path}) is empty: no call gave a usable answer "
                "(see the warnings above)"
            )
    pools = {"vanilla": vanilla, "latent": latent}
    metrics = {
        "vanilla": {k: len(v) for k, v in vanilla.items()},
        "latent_topics": len(latent),
        "latent_entities": sum(len(v) for pools_ in latent.values() for v in pools_.values()),
        "drops": dict(drops),
        "warnings": warnings.to_dict(),
    }
    return {"pools": pools, "metrics": metrics}


def load_pools(data: Any, where: str) -> Dict[str, Any]:
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("vanilla"), dict)
        or not isinstance(data.get("latent"), dict)
    ):
        raise StepError(f"{where}: expected {{'vanilla': {{TYPE: [...]}}, 'latent': {{topic: {{TYPE: [...]}}}}}}")
    return data
