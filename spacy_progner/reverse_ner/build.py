"""Building the example library (ReverseNER, steps 1-3), with every drop counted.

1. entity pools from the label definitions (several calls per type), deduplicated, filtered to
   plausible names, then type-checked by the model (`pools`);
2. feature sentences: embed the unlabelled task text, cluster it (mini-batch k-means, so 100k
   sentences fit), take the sentence nearest each centre;
3. reverse expansion: per feature sentence, new sentences of the same form that hold a given set of
   pool entities (sometimes none); entities whose form changed are repaired, ones the sentence lost are
   asked for once more (and then given up, if others remain), and the example is kept only if every
   entity aligns to tokens (`expand`); then each example is re-annotated zero-shot and dropped if it
   holds names it does not label;
4. top-up: a type with fewer than `min_examples_per_type` examples gets expansions planned around its
   own names, within `max_top_up_calls`.

Every request's answer budget is sized for the answer it asks (pretty-printed JSON included), and a
cut-off answer keeps its complete items; `counts` in the library's meta says what happened to each.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import spacy

from ..errors import SettingsError
from ..llm import ChatModel
from ..ner import AnswerError, LabelSet, entity_answer, parse_entities, parse_json_answer
from ..ner.answers import Mention
from ..ner.labels import OTHER
from ..ner.shapes import capitalised
from . import prompts
from .embed import DEFAULT_EMBEDDER, embed
from .expand import invalid, length_fits, match_shape, plan_entities, repair, uncased
from .library import ExampleLibrary
from .pools import generate_pools, name_key, outlet_pool_by_kind, typecheck_pools

logger = logging.getLogger("spacy_progner.reverse_ner")

CHECK_MODES = ("drop", "complete", "off")
Plan = Tuple[int, List[Mention], int]  # (feature index, entities to hold, seed)
LOST = "_given_up"  # an example's entities its sentence lost, from expansion to the example check


@dataclass
class BuildSettings:
    entities_per_type: int = 30
    entities_per_call: int = 15
    n_clusters: int = 32
    expansions_per_feature: int = 2
    max_entities_per_example: int = 4
    empty_rate: float = 0.1
    check_pools: bool = True
    # "drop": an example whose zero-shot check finds a mention it leaves unlabelled is dropped; "complete":
    # first add such mentions that are names of their type's (type-checked) pool; "off": no check
    check_examples: str = "complete"
    retry_expansions: bool = True  # ask once more when an expansion lost an entity it was given
    min_examples_per_type: int = 3  # top-up: types with fewer examples get expansions of their own
    max_top_up_calls: int = 48  # ... within this many extra expansion calls
    domain: str = ""
    seed: int = 0
    embedder: str = DEFAULT_EMBEDDER
    min_feature_tokens: int = 3
    max_feature_tokens: int = 60

    def __post_init__(self) -> None:
        """Checked when the settings are made, so a `reverse_ner` pipe with a bad one fails when it is built."""
        for name in (
            "entities_per_type",
            "entities_per_call",
            "n_clusters",
            "expansions_per_feature",
            "max_entities_per_example",
            "min_feature_tokens",
            "max_feature_tokens",
        ):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise SettingsError(f"reverse_ner {name} must be an integer >= 1, got {getattr(self, name)!r}")
        if not 0.0 <= self.empty_rate <= 1.0:
            raise SettingsError(f"reverse_ner empty_rate must be in [0, 1], got {self.empty_rate}")
        if self.check_examples not in CHECK_MODES:
            raise SettingsError(f"check_examples must be one of {CHECK_MODES}, got {self.check_examples!r}")
        if self.min_examples_per_type < 0 or self.max_top_up_calls < 0:
            raise SettingsError("min_examples_per_type and max_top_up_calls must be >= 0")


def _pool_key(name: str) -> str:
    return name_key(name.replace("-", " "))


def pool_keys(pools: Dict[str, List[str]]) -> Dict[str, set]:
    """Each type's pool names as `completed` matches them (ignoring case, quotes and hyphens: "kid-friendly"
    is the pool's "kid friendly"); made once per example check, not per example."""
    return {label: {_pool_key(n) for n in names} for label, names in pools.items()}


def completed(
    nlp, sentence: str, ents: Sequence[Sequence[str]], extras: Sequence[Mention], known: Dict[str, set]
) -> Optional[List[Mention]]:
    """The example's entities plus the check's `extras`, in sentence order, when every extra is a name of
    its own type's pool (`known`, from `pool_keys`) and all of them still align without overlap; else None.
    A written sentence often holds more than it was asked to ("live music" in a restaurant query planned
    around a cuisine): a mention the check finds and the typed pool confirms makes the example complete
    instead of lost."""
    if not all(_pool_key(text) in known.get(label, ()) for text, label in extras):
        return None
    merged = list(dict.fromkeys([(t, lab) for t, lab in ents] + list(extras)))
    merged.sort(key=lambda m: sentence.lower().find(m[0].lower()))
    return None if invalid(nlp, sentence, merged) else merged


class LibraryBuilder:
    """`labels` with the OTHER outlet (`LabelSet.with_other`) builds a library whose examples also name
    things of no asked type, labelled OTHER: demos that show the tagger where such names go."""

    def __init__(self, labels: LabelSet, model: ChatModel, settings: Optional[BuildSettings] = None):
        self.labels = labels
        self.model = model
        self.s = settings or BuildSettings()
        self.stats: Dict[str, Counter] = {"pools": Counter(), "features": Counter(), "examples": Counter()}
        self._nlp = spacy.blank("en")

    # 1. entity pools -----------------------------------------------------------------------------
    def build_pools(self) -> Dict[str, List[str]]:
        s, stats = self.s, self.stats["pools"]
        pools = generate_pools(
            self.model, self.labels, s.entities_per_type, s.entities_per_call, s.domain, s.seed, stats
        )
        if s.check_pools:
            pools = typecheck_pools(self.model, self.labels, pools, s.seed, stats)
            if OTHER in pools and not pools[OTHER]:
                pools[OTHER] = outlet_pool_by_kind(
                    self.model, self.labels, s.entities_per_call, s.domain, s.seed, stats
                )
        for label, pool in pools.items():
            stats[f"kept_{label}"] = len(pool)
            if not pool:
                raise SettingsError(
                    f"reverse_ner: the entity pool for {label} is empty after generation and checks "
                    f"({dict(stats)}); rephrase its definition ({self.labels[label]!r})"
                )
        return pools

    # 2. feature sentences ------------------------------------------------------------------------
    def select_features(self, texts: Sequence[str]) -> List[str]:
        stats = self.stats["features"]
        seen = set()
        sentences = []
        for text in texts:
            text = " ".join(text.split())
            n_tokens = len(text.split())
            if not text or text in seen:
                stats["duplicate_or_empty"] += 1
                continue
            if not self.s.min_feature_tokens <= n_tokens <= self.s.max_feature_tokens:
                stats["too_short_or_long"] += 1
                continue
            seen.add(text)
            sentences.append(text)
        stats["candidates"] = len(sentences)
        if not sentences:
            raise SettingsError(
                "reverse_ner: no usable task sentences to learn the text's form from "
                f"({self.s.min_feature_tokens}-{self.s.max_feature_tokens} words each); give unlabelled text"
            )
        if len(sentences) <= self.s.n_clusters:
            stats["selected"] = len(sentences)
            return sentences
        from sklearn.cluster import MiniBatchKMeans
        from sklearn.metrics import pairwise_distances_argmin

        vectors = embed(sentences, self.s.embedder, progress="embedding task text")
        km = MiniBatchKMeans(n_clusters=self.s.n_clusters, random_state=self.s.seed, batch_size=2048, n_init=3)
        km.fit(vectors)
        nearest = pairwise_distances_argmin(km.cluster_centers_, vectors)
        chosen = sorted(set(int(i) for i in nearest))
        stats["selected"] = len(chosen)
        return [sentences[i] for i in chosen]

    # 3. reverse expansion ------------------------------------------------------------------------
    def expand(self, features: Sequence[str], pools: Dict[str, List[str]]) -> List[Dict]:
        rng = random.Random(self.s.seed)
        plans: List[Plan] = []
        for f, feature in enumerate(features):
            for j in range(self.s.expansions_per_feature):
                ents = plan_entities(feature, pools, rng, self.s.empty_rate, self.s.max_entities_per_example)
                plans.append((f, ents, self.s.seed * 100003 + f * 31 + j))
        return self._expand_plans(features, plans, set(features))

    def _expand_plans(self, features: Sequence[str], plans: Sequence[Plan], seen: set) -> List[Dict]:
        """Ask for the planned expansions, re-ask those that lost an entity, keep the valid ones."""
        requests = [
            prompts.expansion_request(self.labels, features[f], ents, seed=seed, domain=self.s.domain)
            for f, ents, seed in plans
        ]
        with self.model.ledger.step("reverse_ner.expand"):
            results = self.model.chat_many(requests, progress="reverse expansion")
        stats = self.stats["examples"]
        read = [
            self._read_expansion(features[f], result.choices[0], f, stats) for (f, _, _), result in zip(plans, results)
        ]
        retry = [i for i, r in enumerate(read) if r and r[2] and self.s.retry_expansions]
        if retry:
            again = [
                prompts.expansion_retry(requests[i], results[i].choices[0].text, read[i][2])  # type: ignore[index]
                for i in retry
            ]
            with self.model.ledger.step("reverse_ner.expand"):
                answers = self.model.chat_many(again, progress="expansions asked again")
            for i, result in zip(retry, answers):
                f, scratch = plans[i][0], Counter[str]()  # a failed retry leaves the first answer's counts alone
                second = self._read_expansion(features[f], result.choices[0], f, scratch)
                stats["retried"] += 1
                if second and not second[2]:
                    stats["retry_repaired"] += 1
                    stats.update(scratch)
                    read[i] = second
        examples = []
        for (f, wanted, _), got in zip(plans, read):
            stats["generated"] += 1
            if got is None:
                continue  # counted where it was read
            sentence, ents, missing = got
            lost, missing = self._lose_missing(ents, missing)
            reason = "entity_not_in_sentence" if missing else self._check_form(features[f], sentence, ents, seen)
            if reason:
                stats[f"dropped_{reason}"] += 1
                logger.debug("example dropped, %s %s: %s %s", reason, missing, sentence, ents)
                continue
            stats["requested_entities"] += len(wanted)
            stats["requested_entities_present"] += sum(1 for t, _ in wanted if t.lower() in sentence.lower())
            seen.add(sentence)
            example = {"sentence": sentence, "entities": [list(e) for e in dict.fromkeys(ents)], "feature": f}
            examples.append({**example, LOST: lost} if lost else example)
        return examples

    def _lose_missing(self, ents: List[Mention], missing: List[Mention]) -> Tuple[List[Mention], List[Mention]]:
        """(entities given up, entities still missing). The sentence an expansion wrote without one of its
        entities (after the second ask) is still an example of the entities it does hold, if it holds no
        other name: so the missing ones are given up and the example check decides. Without the check,
        or with no entity left, the example is dropped as before."""
        if not missing or not ents or self.s.check_examples == "off":
            return [], missing
        self.stats["examples"]["entities_given_up"] += len(missing)
        return missing, []

    def _read_expansion(
        self, feature: str, choice, f: int, stats: Counter
    ) -> Optional[Tuple[str, List[Mention], List[Mention]]]:
        """(sentence, entities as the sentence writes them, entities it lacks), or None (counted) if unusable."""
        where = f"expansion of feature sentence {f}"
        try:
            data = parse_json_answer(choice, where)
            written = str(data.get("sentence", ""))
            sentence = " ".join(written.split())
            ents = parse_entities(data, self.labels, where, stats)
        except (AnswerError, AttributeError) as err:
            stats["dropped_cut_off" if choice.truncated else "dropped_bad_answer"] += 1
            logger.debug("%s", err)
            return None
        if not sentence:
            stats["dropped_empty_sentence"] += 1
            return None
        if len(written) >= prompts.expansion_max_chars(feature):
            stats["dropped_sentence_cut_off"] += 1  # the grammar closed it at its length bound, mid-word
            return None
        sentence, ents = match_shape(feature, sentence, ents)
        ents, missing = repair(sentence, ents, stats)
        return sentence, ents, missing

    def _check_form(self, feature: str, sentence: str, ents: Sequence[Mention], seen: set) -> Optional[str]:
        if not length_fits(feature, sentence):
            return "length_mismatch"
        if sentence in seen:
            return "duplicate_or_copy"
        return invalid(self._nlp, sentence, ents)

    def check_examples(self, examples: List[Dict], pools: Dict[str, List[str]]) -> List[Dict]:
        """Re-annotate each example zero-shot; drop it if the model finds a name it leaves unlabelled
        (in "complete" mode, unless each such name is in its type's pool: then it is added)."""
        if self.s.check_examples == "off" or not examples:
            return examples
        requests = [prompts.check_request(self.labels, ex["sentence"], self.s.domain) for ex in examples]
        with self.model.ledger.step("reverse_ner.check"):
            results = self.model.chat_many(requests, progress="checking examples")
        # For types whose names are capitalised (as in the pools), only a capitalised extra counts,
        # unless the example is written without capitals (then every extra does).
        capitals = {label: capitalised(pool) for label, pool in pools.items()}
        known = pool_keys(pools)
        stats = self.stats["examples"]
        kept = []
        for ex, result in zip(examples, results):
            lost = ex.pop(LOST, None)
            try:
                found = entity_answer(result.choices[0], self.labels, "example check", stats)
            except AnswerError:
                stats["check_bad_answer"] += 1
                if lost:  # an example that gave up an entity is kept only on the check's word
                    stats["dropped_given_up_unchecked"] += 1
                else:
                    kept.append(ex)
                continue
            labelled = {t.lower() for t, _ in ex["entities"]}
            extras = [
                (t, lab)
                for t, lab in found
                if t.lower() not in labelled
                and not any(t.lower() in x or x in t.lower() for x in labelled)
                and re.search(rf"(?<!\w){re.escape(t)}(?!\w)", ex["sentence"])
                and (not capitals.get(lab) or uncased(ex["sentence"]) or any(c.isupper() for c in t))
            ]
            # a name of no asked type the example leaves unlabelled costs nothing (the tagger drops OTHER);
            # one from the OTHER pool is still added, so the demos show the outlet used
            extras = [(t, lab) for t, lab in extras if lab != OTHER or _pool_key(t) in known.get(OTHER, ())]
            if extras and self.s.check_examples == "complete":
                merged = completed(self._nlp, ex["sentence"], ex["entities"], extras, known)
                if merged is not None:
                    ex["entities"], extras = [list(m) for m in merged], []
                    stats["completed_from_pools"] += 1
            if extras:
                stats["dropped_unlabelled_entity"] += 1
                logger.debug("example dropped, unlabelled %s: %s %s", extras, ex["sentence"], ex["entities"])
                continue
            stats["kept_after_giving_up_entity"] += bool(lost)
            kept.append(ex)
        return kept

    # 4. top-up -----------------------------------------------------------------------------------
    def top_up(self, examples: List[Dict], features: Sequence[str], pools: Dict[str, List[str]]) -> List[Dict]:
        """More expansions for the types with fewer than `min_examples_per_type` examples, each planned
        around one of the type's own names (two asks per missing example, as about half are kept),
        in rounds until every type has enough or `max_top_up_calls` are spent."""
        rng = random.Random(self.s.seed + 1)
        budget, round_ = self.s.max_top_up_calls, 0
        seen = set(features) | {ex["sentence"] for ex in examples}
        while budget > 0:
            counts = Counter(lab for ex in examples for lab in {e[1] for e in ex["entities"]})
            short = {lab: self.s.min_examples_per_type - counts[lab] for lab in self.labels}
            plans: List[Plan] = []
            for label, missing in short.items():
                for _ in range(2 * max(0, missing)):
                    f = rng.randrange(len(features))
                    others = plan_entities(features[f], pools, rng, 0.0, self.s.max_entities_per_example)
                    extra = min(1, self.s.max_entities_per_example - 1)
                    ents = [(rng.choice(pools[label]), label)] + [e for e in others if e[1] != label][:extra]
                    plans.append((f, ents, self.s.seed * 100003 + 7_000_003 + round_ * 10_007 + len(plans)))
            plans = plans[:budget]
            if not plans:
                break
            self.stats["examples"]["top_up_calls"] += len(plans)
            budget, round_ = budget - len(plans), round_ + 1
            examples = examples + self.check_examples(self._expand_plans(features, plans, seen), pools)
        return examples

    # all steps -----------------------------------------------------------------------------------
    def build(self, texts: Sequence[str]) -> ExampleLibrary:
        start = time.perf_counter()
        snapshot = self.model.ledger.snapshot()
        features = self.select_features(texts)
        pools = self.build_pools()
        examples = self.check_examples(self.expand(features, pools), pools)
        examples = self.top_up(examples, features, pools)
        stats = self.stats["examples"]
        stats["kept"] = len(examples)
        stats["kept_empty"] = sum(1 for ex in examples if not ex["entities"])
        for label in self.labels:
            stats[f"kept_with_{label}"] = sum(1 for ex in examples if any(e[1] == label for e in ex["entities"]))
        if not examples:
            raise SettingsError(f"reverse_ner: no example survived the build ({dict(stats)}); see the counts")
        lib = ExampleLibrary(examples=examples, features=list(features))
        lib.embed_all(self.s.embedder)
        usage = self.model.ledger.since(snapshot)
        lib.meta = {
            "labels": self.labels.to_dict(),
            "model": self.model.scope,
            "settings": self.s.__dict__,
            "pools": pools,
            "counts": {k: dict(v) for k, v in self.stats.items()},
            "usage": {k: v.to_dict() for k, v in usage.items()},
            "seconds": round(time.perf_counter() - start, 1),
            "embedder": self.s.embedder,
        }
        logger.info("reverse_ner library: %d examples from %d feature sentences", len(examples), len(features))
        return lib


def sentences_of(texts: Sequence[str], nlp=None) -> List[str]:
    """Split unlabelled texts into sentences (rule-based) for feature selection."""
    nlp = nlp or spacy.blank("en")
    if "sentencizer" not in nlp.pipe_names:
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
    out: List[str] = []
    for doc in nlp.pipe(t for t in texts if t and t.strip()):
        out.extend(s.text.strip() for s in doc.sents if s.text.strip())
    return out
