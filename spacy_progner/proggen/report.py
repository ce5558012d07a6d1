"""An HTML page about a synthetic corpus: displaCy samples, distributions, diversity, corrections, usage."""

from __future__ import annotations

import html
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from warnings import catch_warnings, filterwarnings

import jinja2
import spacy
from spacy import displacy

from ..corpus.docbin import samples_to_docs
from ..llm.ledger import paid_calls
from ..ner.domain import DomainSpec
from ..seeds import rng_for
from .common import step_calls

TEMPLATE = Path(__file__).parent / "templates" / "report.html"


# displaCy knows colours only for OntoNotes labels; every spec type gets its own (pastels, readable text).
PALETTE = ("#7aecec", "#feca74", "#aa9cfc", "#bfeeb7", "#ff9561", "#c887fb", "#9cc9cc", "#ffeb80", "#e4e7d2", "#f0a3c5")


def label_colors(labels: List[str]) -> Dict[str, str]:
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)}


def _bars(counts: Dict[str, int], sort: bool = True) -> str:
    if not counts:
        return '<p class="sub">none</p>'
    top = max(counts.values()) or 1
    items = sorted(counts.items(), key=lambda kv: -kv[1]) if sort else list(counts.items())
    rows = "".join(
        f'<tr><td>{html.escape(str(k))}</td><td class="num">{v}</td>'
        f'<td><span class="bar" style="width:{int(200 * v / top)}px"></span></td></tr>'
        for k, v in items
    )
    return f"<table>{rows}</table>"


CONFIDENCE_BINS = (0.5, 0.8, 0.9, 0.95, 0.99, 1.0)


def confidence_histogram(samples: List[Dict[str, Any]]) -> Dict[str, int]:
    """Entities per confidence bin (annotated corpora carry a confidence per entity); empty without."""
    values = [e["confidence"] for s in samples for e in s["entities"] if e.get("confidence") is not None]
    if not values:
        return {}
    out, low = {}, 0.0
    for high in CONFIDENCE_BINS:
        out[f"{low:.2f}–{high:.2f}"] = sum(low <= v < high or (high == 1.0 and v == 1.0) for v in values)
        low = high
    return out


def agreement_counts(samples: List[Dict[str, Any]]) -> Dict[str, int]:
    marks = Counter(
        "proposed (missed by the answer)" if e.get("proposed") else ("agreed" if e["agree"] else "disagreed")
        for s in samples
        for e in s["entities"]
        if "agree" in e
    )
    return dict(marks)


def agreement_source(metrics: Dict[str, Dict[str, Any]]) -> str:
    """What the `agree` marks of a corpus were checked against, from the steps that ran (a corpus that
    took the tagger's annotation instead of the answer's kept none of the tagger's marks)."""
    sources = []
    if "crosscheck" in metrics:
        sources.append("students trained on the other folds")
    if "tagcheck" in metrics and (metrics.get("correct") or {}).get("annotated_by") != "tagger":
        sources.append("the reverse_ner tagger's own annotation")
    if (metrics.get("correct") or {}).get("pool_check"):
        sources.append("the pool type of each required name found in its sentence")
    return "; ".join(sources) or "a second annotation"


def diversity(samples: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Distinct entities and distinct n-grams (share of distinct among all), mean length."""
    ents = [(e["text"].lower(), e["label"]) for s in samples for e in s["entities"]]
    out: Dict[str, Any] = {
        "sentences": len(samples),
        "entities": len(ents),
        "distinct entities": len(set(ents)),
        "distinct entities / entities": round(len(set(ents)) / len(ents), 3) if ents else 0,
        "mean words per sentence": round(sum(len(s["sentence"].split()) for s in samples) / max(1, len(samples)), 1),
        "entities per sentence": round(len(ents) / max(1, len(samples)), 2),
    }
    for n in (1, 2, 3):
        grams = [
            tuple(w[i : i + n])
            for s in samples
            for w in [s["sentence"].lower().split()]
            for i in range(max(0, len(w) - n + 1))
        ]
        out[f"distinct {n}-grams / {n}-grams"] = round(len(set(grams)) / len(grams), 3) if grams else 0
    return out


def build_report(
    spec: DomainSpec,
    samples: List[Dict[str, Any]],
    metrics: Dict[str, Dict[str, Any]],
    pools: Optional[Dict[str, Any]] = None,
    n_show: int = 25,
    seed: int = 0,
    variant: Optional[str] = None,
) -> str:
    """The page for a synthetic (ProgGen) or annotated (distillation) corpus and its steps' metrics."""
    rendered = render_samples(spec, samples, n_show, seed)
    div = diversity(samples)
    correction = metrics.get("correct")
    usage_rows, drop_tables, warnings = step_tables(metrics)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.globals["bars"] = lambda counts, sort=True: jinja2.utils.markupsafe.Markup(_bars(dict(counts or {}), sort))
    return env.from_string(TEMPLATE.read_text(encoding="utf8")).render(
        spec=spec,
        kind="Annotated" if "annotate" in metrics else "ProgGen",
        confidence=confidence_histogram(samples),
        agreement=agreement_counts(samples),
        agreement_source=agreement_source(metrics),
        variant=variant,
        glance=glance(samples, div, correction, usage_rows, annotated="annotate" in metrics),
        shown=len(rendered),
        n_samples=len(samples),
        rendered=rendered,
        types=dict(Counter(e["label"] for s in samples for e in s["entities"])),
        attributes=attribute_counts(samples),
        diversity=list(div.items()),
        top_entities=dict(
            Counter(f"{e['text']} ({e['label']})" for s in samples for e in s["entities"]).most_common(15)
        ),
        pools=pool_rows(spec, pools),
        correction=correction,
        correction_choices=(correction or {}).get("choices", {}),
        decisions=((correction or {}).get("decisions") or [])[:40],
        drop_tables=drop_tables,
        usage=usage_rows,
        warnings=warnings[:30],
    )


def render_samples(spec: DomainSpec, samples: List[Dict[str, Any]], n_show: int, seed: int) -> List[str]:
    """displaCy HTML of `n_show` samples drawn by `seed`, in corpus order, one colour per type."""
    idx = list(range(len(samples)))
    rng_for(seed, "report").shuffle(idx)
    shown = [samples[i] for i in sorted(idx[:n_show])]
    docs, _, _ = samples_to_docs(spacy.blank(spec.language), shown, list(spec.types), "expand")
    with catch_warnings():  # a sentence without entities is a sample too, not a problem (spaCy W006)
        filterwarnings("ignore", message=r"\[W006\]")
        options = {"colors": label_colors(list(spec.types))}
        return [displacy.render(d, style="ent", page=False, jupyter=False, options=options) for d in docs]


def attribute_counts(samples: List[Dict[str, Any]]) -> List[Tuple[str, Dict[str, int]]]:
    counts: Dict[str, Counter] = {}
    for s in samples:
        for name, value in ((s.get("requirements") or {}).get("attributes") or {}).items():
            counts.setdefault(name, Counter())[str(value)] += 1
    return sorted((k, dict(v)) for k, v in counts.items())


def step_tables(metrics: Dict[str, Dict[str, Any]]):
    """Usage rows per step, drop tables and the first warnings, from every step's metrics."""
    usage_rows: List[Tuple[str, Dict[str, Any]]] = []
    drop_tables: List[Tuple[str, Dict[str, int]]] = []
    warnings: List[str] = []
    for step, m in metrics.items():
        steps = ((m or {}).get("usage") or {}).get("steps") or {}
        if m.get("usage_incomplete"):  # a resumed run's record that lost its earlier legs: its own call count
            steps = {
                name: {**u, "calls": step_calls(m, u), "cache_hits": 0} if name == step else u
                for name, u in steps.items()
            }
            warnings.append(f"{step}: {m['usage_incomplete']}")
        usage_rows.extend((name, u) for name, u in steps.items())
        if m.get("drops"):
            drop_tables.append((step, m["drops"]))
        if m.get("alignment", {}).get("dropped"):
            drop_tables.append((f"{step} (alignment)", m["alignment"]["dropped"]))
        warnings.extend(f"{step}: {w}" for w in (m.get("warnings") or {}).get("first", []))
    return usage_rows, drop_tables, warnings


def pool_rows(spec: DomainSpec, pools: Optional[Dict[str, Any]]) -> List[Tuple[str, int, int]]:
    if not pools:
        return []
    rows = []
    for lab in spec.types:
        latent = sum(len((t or {}).get(lab, [])) for t in pools.get("latent", {}).values())
        rows.append((lab, len(pools.get("vanilla", {}).get(lab, [])), latent))
    return rows


def glance(samples, div: Dict[str, Any], correction, usage_rows, annotated: bool) -> List[Tuple[str, Any]]:
    out = [
        ("annotated texts" if annotated else "kept sentences", len(samples)),
        ("entities", div["entities"]),
        ("distinct entities", div["distinct entities"]),
        ("sentences without entities", sum(1 for s in samples if not s["entities"])),
    ]
    if correction:
        out.append(("annotations re-checked", correction["selection"]["selected"]))
    # Requests the cache answered were model calls of an earlier run of the same step: count them.
    out.append(("LLM calls (incl. cached)", sum(paid_calls(u) for _, u in usage_rows)))
    return out


def write_report(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf8")
