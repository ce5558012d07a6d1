"""Building the example library (ReverseNER, steps 1-3), with every drop counted.

1. entity pools from the label definitions (several calls per type), deduplicated,
   filtered to plausible names, then type-checked by the model;
2. feature sentences: embed the unlabelled task text, cluster it (mini-batch
   k-means, so 100k sentences fit), take the sentence nearest each centre;
3. reverse expansion: per feature sentence, new sentences of the same form that
   hold a given set of pool entities (sometimes none), kept only if every entity
   occurs verbatim and aligns to tokens; then each example is re-annotated
   zero-shot and dropped if it holds names it does not label.
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
from ..ner import AnswerError, LabelSet, align_mentions, entity_answer, parse_entities, parse_json_answer
from ..ner.answers import Mention
from ..ner.shapes import capitalised
from . import prompts
from .embed import DEFAULT_EMBEDDER, embed
from .library import ExampleLibrary

logger = logging.getLogger("spacy_progner.reverse_ner")


@dataclass
class BuildSettings:
    entities_per_type: int = 30
    entities_per_call: int = 15
    n_clusters: int = 32
    expansions_per_feature: int = 2
    max_entities_per_example: int = 4
    empty_rate: float = 0.1
    check_pools: bool = True
    check_examples: str = "drop"  # "drop" | "off"
    domain: str = ""
    seed: int = 0
    embedder: str = DEFAULT_EMBEDDER
    min_feature_tokens: int = 3
    max_feature_tokens: int = 60


def plausible_name(text: str, label: str) -> bool:
    """A pool entry must look like a name, not a sentence or a description."""
    words = text.split()
    return (
        0 < len(words) <= 8
        and len(text) <= 80
        and "\n" not in text
        and text.upper() != label.upper()
        and not re.search(r"[.!?]\s+\S", text)  # two sentences
        and not text.endswith((":", ";", ","))
    )


def upper_share(text: str) -> float:
    words = [w for w in text.split() if any(c.isalpha() for c in w)]
    return sum(1 for w in words if w.isupper()) / max(1, len(words))


def match_shape(feature: str, sentence: str, ents: Sequence[Mention]) -> Tuple[str, List[Mention]]:
    """An all-caps feature (a headline) gets an all-caps example: the model tends to write ordinary
    case, and the casing is what the demo must teach."""
    if upper_share(feature) >= 0.6 and upper_share(sentence) < 0.6:
        return sentence.upper(), [(t.upper(), lab) for t, lab in ents]
    return sentence, list(ents)


class LibraryBuilder:
    def __init__(self, labels: LabelSet, model: ChatModel, settings: Optional[BuildSettings] = None):
        self.labels = labels
        self.model = model
        self.s = settings or BuildSettings()
        if self.s.check_examples not in ("drop", "off"):
            raise SettingsError(f"check_examples must be 'drop' or 'off', got {self.s.check_examples!r}")
        self.stats: Dict[str, Counter] = {"pools": Counter(), "features": Counter(), "examples": Counter()}
        self._nlp = spacy.blank("en")

    # 1. entity pools -----------------------------------------------------------------------------
    def build_pools(self) -> Dict[str, List[str]]:
        s = self.s
        calls = max(1, -(-s.entities_per_type // s.entities_per_call))
        requests = [
            prompts.pool_request(self.labels, label, s.entities_per_call, s.domain, seed=s.seed * 1000 + i)
            for label in self.labels
            for i in range(calls)
        ]
        with self.model.ledger.step("reverse_ner.pools"):
            results = self.model.chat_many(requests, progress="entity pools")
        pools: Dict[str, List[str]] = {label: [] for label in self.labels}
        stats = self.stats["pools"]
        for request, result in zip(requests, results):
            label = next(lab for lab in self.labels if f"Entity type {lab}:" in request.messages[0]["content"])
            try:
                names = parse_json_answer(result.choices[0], f"entity pool for {label}")["entities"]
            except (AnswerError, KeyError, TypeError) as err:
                stats["bad_answer"] += 1
                logger.warning("%s", err)
                continue
            for name in names:
                stats["generated"] += 1
                name = " ".join(str(name).split())
                if not plausible_name(name, label):
                    stats["implausible"] += 1
                elif name in pools[label] or any(name in other for other in pools.values()):
                    stats["duplicate"] += 1
                else:
                    pools[label].append(name)
        if self.s.check_pools:
            pools = self._typecheck(pools)
        for label, pool in pools.items():
            stats[f"kept_{label}"] = len(pool)
            if not pool:
                raise SettingsError(
                    f"reverse_ner: the entity pool for {label} is empty after generation and checks "
                    f"({dict(stats)}); rephrase its definition ({self.labels[label]!r})"
                )
        return pools

    def _typecheck(self, pools: Dict[str, List[str]]) -> Dict[str, List[str]]:
        """Ask the model to type each pool entry; keep those it types as their own pool's label."""
        batch = 12
        items = [(label, name) for label, pool in pools.items() for name in pool]
        chunks = [items[i : i + batch] for i in range(0, len(items), batch)]
        rng = random.Random(self.s.seed)
        for chunk in chunks:
            rng.shuffle(chunk)  # mixed types in one prompt, so the model compares them
        requests = [prompts.typecheck_request(self.labels, [name for _, name in chunk]) for chunk in chunks]
        with self.model.ledger.step("reverse_ner.pools"):
            results = self.model.chat_many(requests, progress="type-checking pools")
        kept: Dict[str, List[str]] = {label: [] for label in pools}
        stats = self.stats["pools"]
        for chunk, result in zip(chunks, results):
            try:
                typed = parse_json_answer(result.choices[0], "pool type check")["types"]
                verdict = {str(t["text"]).strip(): t["label"] for t in typed if isinstance(t, dict)}
            except (AnswerError, KeyError, TypeError) as err:
                logger.warning("%s", err)
                stats["typecheck_bad_answer"] += 1
                verdict = {}
            for label, name in chunk:
                got = verdict.get(name)
                if got is None:
                    stats["typecheck_unanswered"] += 1  # benefit of the doubt: the generator typed it
                    kept[label].append(name)
                elif got == label:
                    kept[label].append(name)
                else:
                    stats["typecheck_wrong_type"] += 1
        return kept

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
    def _plan(self, feature: str, pools: Dict[str, List[str]], rng: random.Random) -> List[Mention]:
        """Which entities an expansion of `feature` should hold: density follows the feature's names."""
        if rng.random() < self.s.empty_rate:
            return []
        tokens = feature.split()
        caps = sum(1 for t in tokens[1:] if t[:1].isupper())
        if caps and upper_share(feature) < 0.5:
            count = min(self.s.max_entities_per_example, max(1, round(caps * rng.uniform(0.4, 0.8))))
        else:
            count = rng.randint(1, min(3, self.s.max_entities_per_example))
        labels = list(pools)
        picked: List[Mention] = []
        for _ in range(count):
            label = rng.choice(labels)
            name = rng.choice(pools[label])
            if all(name != p[0] for p in picked):
                picked.append((name, label))
        return picked

    def expand(self, features: Sequence[str], pools: Dict[str, List[str]]) -> List[Dict]:
        rng = random.Random(self.s.seed)
        plans = []
        for f, feature in enumerate(features):
            for j in range(self.s.expansions_per_feature):
                plans.append((f, self._plan(feature, pools, rng), self.s.seed * 100003 + f * 31 + j))
        requests = [
            prompts.expansion_request(self.labels, features[f], ents, seed=seed, domain=self.s.domain)
            for f, ents, seed in plans
        ]
        with self.model.ledger.step("reverse_ner.expand"):
            results = self.model.chat_many(requests, progress="reverse expansion")
        stats = self.stats["examples"]
        examples, seen = [], set(features)
        for (f, wanted, _), result in zip(plans, results):
            stats["generated"] += 1
            where = f"expansion of feature sentence {f}"
            try:
                data = parse_json_answer(result.choices[0], where)
                sentence = " ".join(str(data.get("sentence", "")).split())
                ents = parse_entities(data, self.labels, where, stats)
            except (AnswerError, AttributeError) as err:
                stats["dropped_bad_answer"] += 1
                logger.debug("%s", err)
                continue
            if not sentence:
                stats["dropped_empty_sentence"] += 1
                continue
            sentence, ents = match_shape(features[f], sentence, ents)
            ratio = len(sentence.split()) / max(1, len(features[f].split()))
            if not 1 / 3 <= ratio <= 3:
                stats["dropped_length_mismatch"] += 1
                continue
            if sentence in seen:
                stats["dropped_duplicate_or_copy"] += 1
                continue
            reason = self._invalid(sentence, ents)
            if reason:
                stats[f"dropped_{reason}"] += 1
                continue
            stats["requested_entities"] += len(wanted)
            stats["requested_entities_present"] += sum(1 for t, _ in wanted if t in sentence)
            seen.add(sentence)
            examples.append({"sentence": sentence, "entities": [list(e) for e in dict.fromkeys(ents)], "feature": f})
        return examples

    def _invalid(self, sentence: str, ents: Sequence[Mention]) -> Optional[str]:
        doc = self._nlp.make_doc(sentence)
        for text, label in ents:
            if text not in sentence:
                return "entity_not_in_sentence"
            spans, st = align_mentions(doc, [(text, label)], alignment_mode="strict")
            if not spans:
                return "entity_misaligned"
        _, st = align_mentions(doc, list(dict.fromkeys(ents)), alignment_mode="strict")
        if st.dropped.get("overlap"):
            return "entities_overlap"
        return None

    def check_examples(self, examples: List[Dict], pools: Dict[str, List[str]]) -> List[Dict]:
        """Re-annotate each example zero-shot; drop it if the model finds a name it leaves unlabelled."""
        if self.s.check_examples == "off" or not examples:
            return examples
        requests = [prompts.ner_request(self.labels, ex["sentence"]) for ex in examples]
        with self.model.ledger.step("reverse_ner.check"):
            results = self.model.chat_many(requests, progress="checking examples")
        # For types whose names are capitalised (as in the pools), only a capitalised extra counts.
        capitals = {label: capitalised(pool) for label, pool in pools.items()}
        stats = self.stats["examples"]
        kept = []
        for ex, result in zip(examples, results):
            try:
                found = entity_answer(result.choices[0], self.labels, "example check")
            except AnswerError:
                stats["check_bad_answer"] += 1
                kept.append(ex)
                continue
            labelled = {t.lower() for t, _ in ex["entities"]}
            extras = [
                (t, lab)
                for t, lab in found
                if t.lower() not in labelled
                and not any(t.lower() in x or x in t.lower() for x in labelled)
                and re.search(rf"(?<!\w){re.escape(t)}(?!\w)", ex["sentence"])
                and (not capitals.get(lab) or any(c.isupper() for c in t))
            ]
            if extras:
                stats["dropped_unlabelled_entity"] += 1
                continue
            kept.append(ex)
        return kept

    # all steps -----------------------------------------------------------------------------------
    def build(self, texts: Sequence[str]) -> ExampleLibrary:
        start = time.perf_counter()
        snapshot = self.model.ledger.snapshot()
        features = self.select_features(texts)
        pools = self.build_pools()
        examples = self.check_examples(self.expand(features, pools), pools)
        stats = self.stats["examples"]
        stats["kept"] = len(examples)
        stats["kept_empty"] = sum(1 for ex in examples if not ex["entities"])
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
