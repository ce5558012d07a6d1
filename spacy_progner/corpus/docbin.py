"""Samples -> spaCy DocBin: tokenize with the target language, align spans (drops counted), split off a dev set."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

import spacy
from spacy.tokens import Doc, DocBin, Span

from ..errors import StepError
from ..ner.align import MODES, AlignStats, align_mentions
from ..ner.domain import DomainSpec, Surface
from ..seeds import rng_for


def restyle(doc: Doc, surface: Surface) -> Tuple[Doc, int]:
    """The doc written the way the target text is (lower case, no punctuation outside entities), so the
    trained model does not lean on capitals and commas the real text never has. Returns the doc and the
    number of punctuation tokens dropped; entities keep their tokens."""
    if not surface.changes_text:
        return doc, 0
    in_ent = {i for ent in doc.ents for i in range(ent.start, ent.end)}
    missing = {t.i for t in doc if t.ent_iob == 0}
    labelled = in_ent | missing  # punctuation inside an entity or a missing span stays
    keep = [t for t in doc if surface.punctuation or not t.is_punct or t.i in labelled]
    if not keep:  # a sentence of punctuation only: leave it as it is
        return doc, 0
    new_index = {t.i: j for j, t in enumerate(keep)}
    words = [t.lower_ if surface.lowercase else t.text for t in keep]
    # A token keeps its own spacing ("July 24, 2017" stays so inside an entity); where a dropped token
    # stood between two kept ones, a space ("Hello, world" -> "hello world").
    spaces = [bool(t.whitespace_) or nxt.i != t.i + 1 for t, nxt in zip(keep, keep[1:])] + [False]
    out = Doc(doc.vocab, words=words, spaces=spaces)
    ents = [Span(out, new_index[e.start], new_index[e.end - 1] + 1, label=e.label_) for e in doc.ents]
    out.set_ents(ents, missing=[out[new_index[i] : new_index[i] + 1] for i in sorted(missing)], default="outside")
    return out, len(doc) - len(keep)


DEV_SHARE = 0.1  # of the samples held out as the dev set spaCy picks its best model on
# Share of an annotated corpus's entities, the least confident, whose tokens train as unknown ("missing")
# rather than as the entity or as outside: an uncertain label is often wrong, and teaching "outside" where
# it is right would be wrong too. spaCy's ner learns nothing there (partial annotation).
MISSING_SHARE = 0.0
# Share of the unreviewed samples kept out of training and model selection alike (`heldout.spacy`): the
# teacher's labels of texts no model saw, on which `estimate` says how closely each model follows its
# teacher when there is no gold set. The distill workflow sets it; 0 writes no held-out set.
HELDOUT_SHARE = 0.0
ALIGNMENT_MODE = "expand"  # how a character span snaps to tokens (spaCy's char_span)


def mark_least_confident(samples: List[Dict[str, Any]], share: float) -> Tuple[List[Dict[str, Any]], int]:
    """The samples with `missing` set on the `share` of their entities that have the lowest `confidence`
    (ties in corpus order). Only entities with character offsets take part (`spans_at_offsets` is what
    honours the mark). An entity at full confidence (1.0: no log-probs and one sample, or a certain
    answer) is never marked: its rank says nothing. Returns new samples and the number marked."""
    ranked = sorted(
        (e["confidence"], i, j)
        for i, x in enumerate(samples)
        for j, e in enumerate(x.get("entities", []))
        if e.get("confidence") is not None and "start" in e
    )
    chosen = {(i, j) for c, i, j in ranked[: int(share * len(ranked))] if c < 1.0}
    out = []
    for i, x in enumerate(samples):
        ents = x.get("entities", [])
        out.append({**x, "entities": [{**e, "missing": True} if (i, j) in chosen else e for j, e in enumerate(ents)]})
    return out, len(chosen)


def spans_at_offsets(doc: Doc, entities: List[Dict[str, Any]], labels: List[str], alignment_mode: str):
    """Spans at the entities' own character offsets (annotated corpora carry them, so a name that occurs
    twice keeps the occurrence that was labelled); what cannot be placed is counted. Entities marked
    `missing` come back as the second list: their tokens are left unannotated."""
    stats = AlignStats()
    taken = [False] * len(doc)
    spans: List[Span] = []
    missing: List[Span] = []
    for e in entities:
        stats.mentions += 1
        if e["label"] not in labels:
            stats.dropped["unknown_label"] += 1
            continue
        span = doc.char_span(e["start"], e["end"], label=e["label"], alignment_mode=alignment_mode)
        if span is None or not span.text.strip():
            stats.dropped["misaligned"] += 1
        elif any(taken[span.start : span.end]):
            stats.dropped["overlap"] += 1
        else:
            taken[span.start : span.end] = [True] * len(span)
            (missing if e.get("missing") else spans).append(span)
    spans.sort(key=lambda sp: sp.start)
    stats.spans = len(spans)
    return spans, missing, stats


def samples_to_docs(
    nlp, samples: List[Dict[str, Any]], labels: List[str], alignment_mode: str, surface: Optional[Surface] = None
):
    stats = AlignStats()
    restyled: Counter = Counter()
    docs: List[Doc] = []
    for sample in samples:
        doc = nlp.make_doc(sample["sentence"])
        entities = sample.get("entities", [])
        missing: List[Span] = []
        if entities and all("start" in e for e in entities):
            spans, missing, st = spans_at_offsets(doc, entities, labels, alignment_mode)
        else:
            mentions = [(e["text"], e["label"], e.get("logprob") or 0.0) for e in entities]
            spans, st = align_mentions(doc, mentions, labels, alignment_mode=alignment_mode)
        doc.set_ents(spans, missing=missing, default="outside")
        stats.update(st)
        if surface is not None and surface.changes_text:
            new, dropped = restyle(doc, surface)
            restyled["docs_changed"] += int(new.text != doc.text)
            restyled["punctuation_tokens_dropped"] += dropped
            doc = new
        docs.append(doc)
    return docs, stats, dict(restyled)


def with_reviewed(
    samples: List[Dict[str, Any]], reviewed: List[Dict[str, Any]]
) -> Tuple[List[Dict[str, Any]], List[bool], Dict[str, int]]:
    """The corpus with each reviewed text in place of its unreviewed version (matched by id; a reviewed
    text the corpus lacks is added), a flag per sample saying it is reviewed, and the counts."""
    by_id = {str(r["id"]): r for r in reviewed}
    out: List[Dict[str, Any]] = []
    flags: List[bool] = []
    for x in samples:
        sid = str(x.get("id"))
        out.append(by_id.get(sid, x))
        flags.append(sid in by_id)
    present = {str(x.get("id")) for x in samples}
    extra = [r for k, r in by_id.items() if k not in present]
    counts = {"reviewed_texts": len(by_id), "reviewed_replaced": len(by_id) - len(extra), "reviewed_added": len(extra)}
    return out + extra, flags + [True] * len(extra), counts


def _dev_split(n_docs: int, reviewed: List[bool], dev_share: float, reviewed_dev: int, seed: int) -> Set[int]:
    """Indices of the dev docs: `reviewed_dev` reviewed texts (a real dev set) when asked for, else a
    `dev_share` of the corpus, as spaCy needs one."""
    if reviewed_dev > 0:
        pool = [i for i, r in enumerate(reviewed) if r]
        if len(pool) < reviewed_dev:
            raise StepError(
                f"to-docbin: reviewed_dev {reviewed_dev} asks for more reviewed texts than the {len(pool)} given"
            )
        rng_for(seed, "reviewed-dev").shuffle(pool)
        return set(pool[:reviewed_dev])
    order = list(range(n_docs))
    rng_for(seed, "dev-split").shuffle(order)
    n_dev = int(round(dev_share * n_docs))
    if dev_share > 0 and n_docs >= 2:
        n_dev = max(1, min(n_dev, n_docs - 1))
    return set(order[:n_dev])


def _hold_out(
    samples: List[Dict[str, Any]], reviewed: List[bool], share: float, seed: int
) -> Tuple[List[Dict[str, Any]], List[bool], List[Dict[str, Any]]]:
    """(samples, their reviewed marks, held-out samples): a seeded `share` of the unreviewed samples held
    out whole (no label marked missing: they are what a model is compared with)."""
    pool = [i for i, r in enumerate(reviewed) if not r]
    rng_for(seed, "heldout").shuffle(pool)
    held = set(pool[: int(round(share * len(pool)))])
    kept = [i for i in range(len(samples)) if i not in held]
    return [samples[i] for i in kept], [reviewed[i] for i in kept], [samples[i] for i in sorted(held)]


def to_docbin(
    spec: DomainSpec,
    samples: List[Dict[str, Any]],
    output_dir: Path,
    dev_share: float = DEV_SHARE,
    alignment_mode: str = ALIGNMENT_MODE,
    demo_weight: int = 0,
    seed: int = 0,
    lang: Optional[str] = None,
    missing_share: float = MISSING_SHARE,
    reviewed: Optional[List[Dict[str, Any]]] = None,
    reviewed_dev: int = 0,
    heldout_share: float = HELDOUT_SHARE,
) -> Dict[str, Any]:
    """`missing_share`: see MISSING_SHARE (entities with character offsets and a confidence only).

    `reviewed`: texts a person reviewed (`review`'s log, last line per id): they replace their unreviewed
    versions, and being gold they are fully annotated (never marked missing). `reviewed_dev` of them are
    held out as the dev set instead of a synthetic split: spaCy then picks its best model on real labels."""
    if alignment_mode not in MODES:
        raise StepError(f"to-docbin: alignment_mode must be one of {', '.join(MODES)}, got {alignment_mode!r}")
    if not 0 <= dev_share < 1:
        raise StepError(f"to-docbin: dev_share must be in [0, 1), got {dev_share}")
    if not 0 <= missing_share < 1:
        raise StepError(f"to-docbin: missing_share must be in [0, 1), got {missing_share}")
    if not samples:
        raise StepError("to-docbin: no samples (the corpus is empty); nothing to write")
    if reviewed_dev < 0:
        raise StepError(f"to-docbin: reviewed_dev must be >= 0, got {reviewed_dev}")
    if not 0 <= heldout_share <= 0.5:
        raise StepError(f"to-docbin: heldout_share must be in [0, 0.5], got {heldout_share}")
    nlp = spacy.blank(lang or spec.language)
    labels = list(spec.types)
    samples, is_reviewed, review_counts = with_reviewed(samples, reviewed or [])
    samples, is_reviewed, heldout = _hold_out(samples, is_reviewed, heldout_share, seed)
    marked, n_missing = mark_least_confident([x for x, r in zip(samples, is_reviewed) if not r], missing_share)
    unreviewed = iter(marked)
    samples = [x if r else next(unreviewed) for x, r in zip(samples, is_reviewed)]
    docs, stats, restyled = samples_to_docs(nlp, samples, labels, alignment_mode, spec.surface)
    dev_ids = _dev_split(len(docs), is_reviewed, dev_share, reviewed_dev, seed)
    train = [d for i, d in enumerate(docs) if i not in dev_ids]
    dev = [d for i, d in enumerate(docs) if i in dev_ids] or list(train)  # spacy train needs a dev set
    demo_docs = []
    if demo_weight > 0:
        demo_samples = [
            {"sentence": d.sentence, "entities": [{"text": t, "label": lab} for t, lab in d.entities]}
            for d in spec.demos()
        ]
        demo_docs, _, _ = samples_to_docs(nlp, demo_samples, labels, alignment_mode, spec.surface)
    train_all = train + demo_docs * demo_weight
    output_dir.mkdir(parents=True, exist_ok=True)
    DocBin(docs=train_all, store_user_data=False).to_disk(output_dir / "train.spacy")
    DocBin(docs=dev, store_user_data=False).to_disk(output_dir / "dev.spacy")
    # Written even when empty, so a workflow's steps can name them: the held-out texts (`estimate`), and
    # the reviewed training texts, which keep their labels when the student relabels (`relabel --keep`).
    heldout_docs, _, _ = samples_to_docs(nlp, heldout, labels, alignment_mode, spec.surface)
    DocBin(docs=heldout_docs, store_user_data=False).to_disk(output_dir / "heldout.spacy")
    reviewed_train = [d for i, d in enumerate(docs) if is_reviewed[i] and i not in dev_ids]
    DocBin(docs=reviewed_train, store_user_data=False).to_disk(output_dir / "reviewed.spacy")
    ents = sum(len(d.ents) for d in train_all)
    if ents == 0:
        raise StepError(f"to-docbin: the training set has no entity at all ({stats.to_dict()}); nothing to learn from")
    return {
        "train_docs": len(train_all),
        "train_synthetic_docs": len(train),
        **review_counts,
        "reviewed_train_docs": len(reviewed_train),
        "reviewed_dev_docs": sum(1 for i in dev_ids if is_reviewed[i]),
        "dev_is_reviewed": reviewed_dev > 0,
        "train_demo_docs": len(demo_docs) * demo_weight,
        "dev_docs": len(dev),
        "dev_is_train_copy": not dev_ids,
        "heldout_docs": len(heldout),
        "train_entities": ents,
        "missing_share": missing_share,
        "missing_entities": n_missing,
        "alignment_mode": alignment_mode,
        "alignment": stats.to_dict(),
        "surface": {**spec.surface.__dict__, **restyled},
    }
