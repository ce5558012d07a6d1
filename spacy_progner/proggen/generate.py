"""Generate sentences with their annotations in one JSON-schema call (token log-probs kept).

Variants (ProgGen):
- simple: many sentences per call, no requirements;
- diversify-x: few per call, sampled attribute values as requirements;
- diversify-y-vanilla: few per call, ~1.5 entities per sentence from the vanilla pools, listed without types;
- diversify-y-latent: as above from the pools of a sampled topic (which is also required);
- diversify-x+y: attribute values and entities from the topic's latent pool.

Entities are assigned to the sentences one by one ("Sentence 2 must mention: ..."; `per_sentence=False`:
one list for the whole call, ProgGen's form). On the MIT-Restaurant benchmark this did not get more of the
names used (62 % vs 73 % found in a kept sentence), see the README. A name that the pools list under two
or more types ("pizza": Cuisine and Dish) is not used: it is listed without its type, so its label would be
the model's coin toss.

Every prompt is determined by (seed, variant, call index): demos are reshuffled per prompt with a
per-call random generator, so a rerun sends the same requests and the LLM cache answers them for free.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from tqdm import tqdm

from ..errors import StepError
from ..llm import ChatModel, ChatRequest
from ..ner.answers import closed_object, compact, entity_schema
from ..ner.domain import DomainSpec
from ..seeds import rng_for
from .attributes import TOPIC
from .common import Warnings, norm
from .validate import Deduper, parse_generation

VARIANTS = ("simple", "diversify-x", "diversify-y-vanilla", "diversify-y-latent", "diversify-x+y")
NEEDS_ATTRIBUTES = ("diversify-x", "diversify-x+y")
NEEDS_POOLS = ("diversify-y-vanilla", "diversify-y-latent", "diversify-x+y")


@dataclass
class GenerateSettings:
    variant: str = "diversify-x+y"
    n_sentences: int = 100  # kept sentences wanted
    per_call: Optional[int] = None  # default: 6 for simple, 3 otherwise
    max_calls: Optional[int] = None  # default: 3x the calls needed if nothing were dropped
    batch: int = 8  # calls sent together (the transport's concurrency does the rest)
    entities_per_sentence: float = 1.5
    max_demos: int = 6
    temperature: float = 1.0
    tokens_per_sentence: int = 90
    # Bounds the grammar holds each generated sentence to, so an answer that starts repeating itself (a
    # name over and over, empty names, a sentence that runs on) closes instead of losing the whole call
    # to max_tokens; the kept sentences of the 400- and 1,500-sentence benchmark corpora stay far inside
    # them (at most 284 characters, 6 entities, 49 characters a name).
    max_sentence_chars: int = 400
    max_entities: int = 8
    max_entity_chars: int = 80
    shape_filter: bool = True  # drop annotations unlike every entity of their type in the spec (ner.shapes)
    script_filter: bool = True  # drop sentences with letters of a script no demo of the spec uses
    per_sentence: bool = True  # entities assigned to each sentence (False: one list for the whole call)
    skip_ambiguous: bool = True  # leave out pool names listed under more than one type
    seed: int = 0

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise StepError(f"generate: variant must be one of {', '.join(VARIANTS)}, got {self.variant!r}")
        if self.per_call is None:
            self.per_call = 6 if self.variant == "simple" else 3
        bounds = (
            "n_sentences",
            "per_call",
            "tokens_per_sentence",
            "max_sentence_chars",
            "max_entities",
            "max_entity_chars",
        )
        low = [f"{name}={getattr(self, name)}" for name in bounds if getattr(self, name) < 1]
        if low:
            raise StepError(f"generate: {', '.join(low)}; each must be >= 1")
        if self.max_calls is None:
            self.max_calls = 3 * math.ceil(self.n_sentences / self.per_call) + 2


def generation_schema(labels: List[str], s: GenerateSettings) -> Dict[str, Any]:
    """{"examples": [{"sentence", "entities"}] * per_call}, each sentence held to the settings' bounds."""
    example = entity_schema(
        labels,
        sentence=True,
        max_items=s.max_entities,
        max_chars=s.max_sentence_chars,
        max_text_chars=s.max_entity_chars,
    )
    return closed_object(
        {"examples": {"type": "array", "items": example, "minItems": s.per_call, "maxItems": s.per_call}}
    )


def system_prompt(spec: DomainSpec) -> str:
    return (
        f"You write {spec.domain}: {spec.description}\n"
        "You also annotate the named entities in each sentence you write. Entity types:\n"
        f"{spec.labels.describe()}\n"
        "Annotate every entity of these types and nothing else; copy each entity's text exactly as it is "
        "written in the sentence. A sentence may have no entities. Answer compact JSON on one line."
    )


def ambiguous_names(pools: Optional[Dict[str, Any]]) -> set:
    """Normalised names listed under more than one type anywhere in the pools (vanilla or any topic)."""
    types: Dict[str, set] = {}
    for pool in [(pools or {}).get("vanilla") or {}, *((pools or {}).get("latent") or {}).values()]:
        for label, names in pool.items():
            for name in names:
                types.setdefault(norm(name), set()).add(label)
    return {name for name, labels in types.items() if len(labels) > 1}


def sample_requirements(
    s: GenerateSettings,
    rng,
    attributes: Optional[Dict[str, Any]],
    pools: Optional[Dict[str, Any]],
    labels: List[str],
    skip: frozenset = frozenset(),
) -> Dict[str, Any]:
    """Attribute values and entities (without types) for one prompt; names in `skip` are not used."""
    req: Dict[str, Any] = {}
    topic = None
    if s.variant in NEEDS_ATTRIBUTES:
        attrs = {}
        for name, body in attributes.items():  # type: ignore[union-attr]
            if name == TOPIC or rng.random() < body["probability"]:
                attrs[name] = rng.choice(body["values"])
        req["attributes"] = attrs
        topic = attrs.get(TOPIC)
    if s.variant in NEEDS_POOLS:
        pool = pools["vanilla"]  # type: ignore[index]
        if s.variant == "diversify-y-latent":
            topic = rng.choice(sorted(pools["latent"]))  # type: ignore[index]
            req["attributes"] = {TOPIC: topic}
        if s.variant != "diversify-y-vanilla" and topic in pools["latent"]:  # type: ignore[index]
            latent = pools["latent"][topic]  # type: ignore[index]
            pool = {lab: latent.get(lab) or pool.get(lab, []) for lab in labels}
        if skip:  # a topic's pool left empty falls back to the vanilla pool of its type

            def usable(names: List[str]) -> List[str]:
                return [n for n in names if norm(n) not in skip]

            vanilla = pools["vanilla"]  # type: ignore[index]
            pool = {lab: usable(names) or usable(vanilla.get(lab, [])) for lab, names in pool.items()}
        # Each sentence gets 1 or 2 entities (mean ~1.5 with the default), of uniformly drawn types
        # (the draws in the order of the per-call lists before, so `per_sentence=False` asks the same).
        extra = s.entities_per_sentence - 1
        counts = [1 + (rng.random() < extra) for _ in range(s.per_call)]  # type: ignore[arg-type]
        types = [lab for lab in labels if pool.get(lab)]
        chosen: List[str] = []
        per_sentence: List[List[str]] = []
        for count in counts if types else []:
            names: List[str] = []
            for _ in range(count):
                name = rng.choice(pool[rng.choice(types)])
                if name not in chosen:
                    chosen.append(name)
                    names.append(name)
            per_sentence.append(names)
        req["entities"] = chosen
        if s.per_sentence:
            req["per_sentence"] = per_sentence
    return req


def build_request(
    spec: DomainSpec, s: GenerateSettings, call: int, attributes=None, pools=None
) -> Tuple[ChatRequest, Dict[str, Any]]:
    rng = rng_for(s.seed, spec.name, s.variant, call)
    labels = list(spec.labels)
    demos = spec.demos()
    rng.shuffle(demos)
    demos = demos[: s.max_demos]
    skip = frozenset(ambiguous_names(pools)) if s.skip_ambiguous and pools else frozenset()
    req = sample_requirements(s, rng, attributes, pools, labels, skip)
    k = s.per_call
    ask = f"Write {k} new sentences, different from the examples and from each other."
    attrs = req.get("attributes")
    if attrs:
        ask += "\nEach sentence must fit: " + "; ".join(f"{n.replace('_', ' ')}: {v}" for n, v in attrs.items()) + "."
    if req.get("per_sentence"):
        ask += "".join(
            f"\nSentence {i} must mention: " + "; ".join(names) + "."
            for i, names in enumerate(req["per_sentence"], 1)
            if names
        )
    elif req.get("entities"):
        ask += "\nUse these named entities in the sentences: " + "; ".join(req["entities"]) + "."
    messages = [
        {"role": "system", "content": system_prompt(spec)},
        {"role": "user", "content": f"Write {len(demos)} sentences."},
        {"role": "assistant", "content": compact({"examples": [d.to_answer() for d in demos]})},
        {"role": "user", "content": ask},
    ]
    request = ChatRequest(
        messages=messages,
        temperature=s.temperature,
        seed=s.seed * 100_000 + call,
        max_tokens=20 + s.tokens_per_sentence * k,  # type: ignore[operator]
        json_schema=generation_schema(labels, s),
        logprobs=True,
    )
    return request, req


# not part of a run's identity: how many calls go out at once, and the answer budget
NOT_IDENTITY = ("batch", "tokens_per_sentence")


def generate(
    model: ChatModel,
    spec: DomainSpec,
    s: GenerateSettings,
    attributes: Optional[Dict[str, Any]] = None,
    pools: Optional[Dict[str, Any]] = None,
    resume: Optional[Dict[str, Any]] = None,
    checkpoint: Optional[Callable[[Dict[str, Any]], None]] = None,
) -> Dict[str, Any]:
    """Call the model batch by batch until `n_sentences` are kept (or `max_calls` are spent).

    `checkpoint` gets the run's state after every batch (`Kept.state`); `resume` with such a state goes on
    from the next call as if never stopped (the requests are seeded per call), so a long run survives the
    loss of its LLM cache when its state was saved somewhere that lasts."""
    _check_inputs(s, attributes, pools)
    kept = Kept(spec, s)
    call = kept.restore(resume) if resume else 0
    bar = tqdm(total=s.n_sentences, initial=len(kept.samples), desc=f"generate {s.variant}", unit="sent")
    try:
        while len(kept.samples) < s.n_sentences and call < s.max_calls:  # type: ignore[operator]
            # Only as many calls as the missing sentences need if nothing were dropped (at most `batch`).
            needed = math.ceil((s.n_sentences - len(kept.samples)) / s.per_call)  # type: ignore[operator]
            n_calls = min(s.batch, s.max_calls - call, max(1, needed))  # type: ignore[operator]
            built = [build_request(spec, s, c, attributes, pools) for c in range(call, call + n_calls)]
            results = model.chat_many([r for r, _ in built], progress=f"  calls {call}-{call + n_calls - 1}")
            for offset, ((request, req), result) in enumerate(zip(built, results)):
                bar.update(kept.add(call + offset, request, req, result))
            call += n_calls
            if checkpoint is not None:
                checkpoint(kept.state(call))
    finally:
        bar.close()
    return {"samples": kept.samples, "metrics": kept.metrics(call)}


def _check_inputs(s: GenerateSettings, attributes, pools) -> None:
    if s.variant in NEEDS_ATTRIBUTES and not attributes:
        raise StepError(f"generate: variant {s.variant} needs attribute values (run `attributes` first)")
    if s.variant in NEEDS_POOLS:
        if not pools or not any(pools.get("vanilla", {}).values()):
            raise StepError(
                f"generate: variant {s.variant} needs entity pools (run `entities` first); the pool is empty"
            )
        if s.variant == "diversify-y-latent" and not pools.get("latent"):
            raise StepError(
                "generate: variant diversify-y-latent needs latent (topic) pools; run `entities --kind both`"
            )


class Kept:
    """The sentences kept so far, and every drop, fix and warning on the way."""

    def __init__(self, spec: DomainSpec, s: GenerateSettings):
        self.s = s
        self.labels = list(spec.labels)
        self.drops: Counter = Counter()
        self.fixes: Counter = Counter()
        self.warnings = Warnings("generate")
        self.dedupe = Deduper(d.sentence for d in spec.demos())
        self.shapes = spec.shapes() if s.shape_filter else {}
        self.scripts = spec.scripts() if s.script_filter else frozenset()
        self.samples: List[Dict[str, Any]] = []

    def add(self, call: int, request, req: Dict[str, Any], result) -> int:
        """Keep the usable, new sentences of one answer (up to the target); returns how many."""
        where = f"generate call {call} (seed {request.seed})"
        answer = parse_generation(
            result.choices[0], self.labels, where, self.drops, self.warnings, self.fixes, self.shapes, self.scripts
        )
        before = len(self.samples)
        for i, ex in enumerate(answer):
            if len(self.samples) >= self.s.n_sentences:
                self.drops["over_target"] += 1
                continue
            if not self.dedupe.keep(ex["sentence"], self.drops):
                continue
            ex.update(
                {"id": f"{self.s.variant}-{call}-{i}", "variant": self.s.variant, "call": call, "requirements": req}
            )
            self.samples.append(ex)
        return len(self.samples) - before

    def state(self, call: int) -> Dict[str, Any]:
        """Everything a resumed run needs: the next call, the kept samples and the counts so far."""
        return {
            "settings": self._identity(),
            "call": call,
            "samples": self.samples,
            "drops": dict(self.drops),
            "fixes": dict(self.fixes),
            "warnings": {"count": self.warnings.count, "items": self.warnings.items},
        }

    def restore(self, state: Dict[str, Any]) -> int:
        """Take up a saved `state` (of the same settings); returns the next call. A setting added to the
        package since the state was saved takes the value given now, named: it applies from here on."""
        saved = {k: v for k, v in (state.get("settings") or {}).items() if k not in NOT_IDENTITY}
        now = self._identity()
        added = {k: v for k, v in now.items() if k not in saved}  # settings the package gained since
        if saved != {k: v for k, v in now.items() if k not in added}:
            raise StepError(
                f"generate: the saved state is of other settings ({saved}, now {now}); delete it to start over"
            )
        self.samples = list(state["samples"])
        self.drops, self.fixes = Counter(state["drops"]), Counter(state["fixes"])
        self.warnings.count, self.warnings.items = state["warnings"]["count"], list(state["warnings"]["items"])
        if added:
            setting = ", ".join(f"{k}={v}" for k, v in added.items())
            self.warnings.add(f"resumed a state saved before {setting} existed: it applies from call {state['call']}")
        self.dedupe.seen = {norm(x["sentence"]) for x in self.samples}
        return int(state["call"])

    def _identity(self) -> Dict[str, Any]:
        """The settings that shape what is kept: not how many calls go out at once, nor the answer budget
        (a run resumed with more room only finishes answers that would have been cut off)."""
        return {k: v for k, v in sorted(vars(self.s).items()) if k not in NOT_IDENTITY}

    def metrics(self, calls: int) -> Dict[str, Any]:
        if not self.samples:
            raise StepError(
                f"generate: 0 sentences kept from {calls} calls ({dict(self.drops)}); see the warnings above "
                "(answers not JSON? max_tokens too small?)"
            )
        if len(self.samples) < self.s.n_sentences:
            self.warnings.add(
                f"only {len(self.samples)} of {self.s.n_sentences} sentences kept after {calls} calls (max_calls)"
            )
        cut, kept_part = self.drops["answer_truncated"], self.drops["cut_off_items_kept"]
        if cut + kept_part:
            self.warnings.add(
                f"{cut + kept_part} of {calls} answers were cut off at max_tokens ({kept_part} kept the sentences "
                f"they wrote in full): raise tokens_per_sentence (now {self.s.tokens_per_sentence})"
            )
        types = Counter(e["label"] for x in self.samples for e in x["entities"])
        return {
            "variant": self.s.variant,
            "calls": calls,
            "kept_sentences": len(self.samples),
            "kept_entities": sum(types.values()),
            "sentences_without_entities": sum(1 for x in self.samples if not x["entities"]),
            "entities_per_type": dict(types),
            "shapes": self.shapes,
            "scripts": sorted(self.scripts),
            "drops": dict(self.drops),
            "fixes": dict(self.fixes),
            "warnings": self.warnings.to_dict(),
        }
