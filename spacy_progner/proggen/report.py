"""An HTML page about a synthetic corpus: displaCy samples, distributions, diversity, corrections, usage."""

from __future__ import annotations

import html
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional
from warnings import catch_warnings, filterwarnings

import jinja2
import spacy
from spacy import displacy

from ..ner.domain import DomainSpec
from .common import rng_for
from .docbin import samples_to_docs

TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ kind }} report: {{ spec.name }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 1.6em; }
.sub { color: #666; } table { border-collapse: collapse; margin: 0.5em 0; }
td, th { padding: 0.25em 0.7em; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
th { background: #f6f6f6; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.bar { background: #5b8def; height: 0.9em; display: inline-block; border-radius: 2px; }
.cards { display: flex; flex-wrap: wrap; gap: 0.8em; } .card { background: #f6f8fb; border-radius: 6px; padding:
0.6em 1em; }
.card b { display: block; font-size: 1.5em; } .sample { border-bottom: 1px dashed #ddd; padding: 0.3em 0; }
.cols { display: flex; gap: 2em; flex-wrap: wrap; } .warn { color: #a60; }
</style></head><body>
<h1>{{ kind }} corpus: {{ spec.name }}</h1>
<div class="sub">{{ spec.domain }} — {{ spec.description }}{% if variant %} · variant <b>{{ variant }}</b>{% endif
%}</div>

<h2>At a glance</h2>
<div class="cards">
{% for name, value in glance %}<div class="card"><b>{{ value }}</b>{{ name }}</div>{% endfor %}
</div>

<h2>Samples ({{ shown }} of {{ n_samples }}, random)</h2>
{% for item in rendered %}<div class="sample">{{ item | safe }}</div>{% endfor %}

<div class="cols">
<div><h2>Entity types</h2>{{ bars(types) }}</div>
{% if confidence %}<div><h2>Confidence</h2>{{ bars(confidence, sort=False) }}
<p class="sub">per entity: exp(mean token log-prob) of its answer item</p></div>{% endif %}
{% if agreement %}<div><h2>Cross-check</h2>{{ bars(agreement) }}
<p class="sub">students trained on the other folds</p></div>{% endif %}
{% for name, counts in attributes %}<div><h2>Attribute: {{ name }}</h2>{{ bars(counts) }}</div>{% endfor %}
</div>

<h2>Diversity</h2>
<table>{% for name, value in diversity %}<tr><td>{{ name }}</td><td class="num">{{ value }}</td>
</tr>{% endfor %}</table>

<div class="cols">
<div><h2>Top entities</h2>{{ bars(top_entities) }}</div>
<div><h2>Entity pools</h2>
{% if pools %}<table><tr><th>type</th><th>vanilla</th><th>latent (all topics)</th></tr>
{% for row in pools %}<tr><td>{{ row[0] }}</td><td class="num">{{ row[1] }}</td><td class="num">{{ row[2] }}</td>
</tr>{% endfor %}
</table>{% else %}<p class="sub">no entity pools</p>{% endif %}</div>
</div>

<h2>Self-correction</h2>
{% if correction %}
<p>{{ correction.selection.selected }} of {{ correction.selection.annotations }} annotations re-checked
({{ correction.selection.below_threshold }} {% if correction.selection.select_by == "agreement"
%}where the cross-check disagreed{% else %}below log-prob {{ correction.settings.threshold }}{% endif %}, at most
{{ (correction.settings.max_share * 100) | round(0) | int }}% per type), in {{ correction.prompts }} prompts.</p>
<div class="cols"><div>{{ bars(correction_choices) }}</div><div>{{ bars(correction.outcomes) }}</div></div>
{% if decisions %}<table><tr><th>span</th><th>type</th><th>choice</th><th>fix</th></tr>
{% for d in decisions %}<tr><td>{{ d.text }}</td><td>{{ d.label }}</td><td>{{ d.choice }}</td><td>{{ d.fix }}</td>
</tr>{% endfor %}
</table>{% endif %}
{% else %}<p class="sub">no correction step in this run</p>{% endif %}

<h2>Drops</h2>
{% for step, drops in drop_tables %}<h3>{{ step }}</h3>{{ bars(drops) }}{% endfor %}

<h2>LLM usage per step</h2>
<table><tr><th>step</th><th>calls</th><th>cache hits</th><th>prompt tokens</th><th>completion tokens</th>
<th>cached prompt tokens</th><th>model seconds</th></tr>
{% for step, u in usage %}<tr><td>{{ step }}</td><td class="num">{{ u.calls }}</td>
<td class="num">{{ u.cache_hits }}</td>
<td class="num">{{ u.prompt_tokens }}</td><td class="num">{{ u.completion_tokens }}</td>
<td class="num">{{ u.cached_tokens }}</td>
<td class="num">{{ u.seconds }}</td></tr>{% endfor %}
</table>
{% if warnings %}<h2>Warnings</h2>
<ul class="warn">{% for w in warnings %}<li>{{ w }}</li>{% endfor %}</ul>{% endif %}
</body></html>
"""


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
        "proposed by a student" if e.get("proposed") else ("agreed" if e["agree"] else "disagreed")
        for s in samples
        for e in s["entities"]
        if "agree" in e
    )
    return dict(marks)


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
    nlp = spacy.blank(spec.language)
    idx = list(range(len(samples)))
    rng_for(seed, "report").shuffle(idx)
    shown = [samples[i] for i in sorted(idx[:n_show])]
    docs, _, _ = samples_to_docs(nlp, shown, list(spec.types), "expand")
    with catch_warnings():  # a sentence without entities is a sample too, not a problem (spaCy W006)
        filterwarnings("ignore", message=r"\[W006\]")
        options = {"colors": label_colors(list(spec.types))}
        rendered = [displacy.render(d, style="ent", page=False, jupyter=False, options=options) for d in docs]
    types = Counter(e["label"] for s in samples for e in s["entities"])
    attr_counts: Dict[str, Counter] = {}
    for s in samples:
        for name, value in ((s.get("requirements") or {}).get("attributes") or {}).items():
            attr_counts.setdefault(name, Counter())[str(value)] += 1
    top_entities = dict(Counter(f"{e['text']} ({e['label']})" for s in samples for e in s["entities"]).most_common(15))
    div = diversity(samples)
    correction = metrics.get("correct")
    usage_rows, drop_tables, warnings = [], [], []
    for step, m in metrics.items():
        steps = ((m or {}).get("usage") or {}).get("steps") or {}
        usage_rows.extend((name, u) for name, u in steps.items())
        if m.get("drops"):
            drop_tables.append((step, m["drops"]))
        if m.get("alignment", {}).get("dropped"):
            drop_tables.append((f"{step} (alignment)", m["alignment"]["dropped"]))
        warnings.extend(f"{step}: {w}" for w in (m.get("warnings") or {}).get("first", []))
    pool_rows = []
    if pools:
        for lab in spec.types:
            latent = sum(len((t or {}).get(lab, [])) for t in pools.get("latent", {}).values())
            pool_rows.append((lab, len(pools.get("vanilla", {}).get(lab, [])), latent))
    glance = [
        ("annotated texts" if "annotate" in metrics else "kept sentences", len(samples)),
        ("entities", div["entities"]),
        ("distinct entities", div["distinct entities"]),
        ("sentences without entities", sum(1 for s in samples if not s["entities"])),
    ]
    if correction:
        glance.append(("annotations re-checked", correction["selection"]["selected"]))
    # Requests the cache answered were model calls of an earlier run of the same step: count them.
    calls = sum(u.get("calls", 0) + u.get("cache_hits", 0) for _, u in usage_rows)
    glance.append(("LLM calls (incl. cached)", calls))
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.globals["bars"] = lambda counts, sort=True: jinja2.utils.markupsafe.Markup(_bars(dict(counts or {}), sort))
    return env.from_string(TEMPLATE).render(
        spec=spec,
        kind="Annotated" if "annotate" in metrics else "ProgGen",
        confidence=confidence_histogram(samples),
        agreement=agreement_counts(samples),
        variant=variant,
        glance=glance,
        shown=len(shown),
        n_samples=len(samples),
        rendered=rendered,
        types=dict(types),
        attributes=sorted((k, dict(v)) for k, v in attr_counts.items()),
        diversity=list(div.items()),
        top_entities=top_entities,
        pools=pool_rows,
        correction=correction,
        correction_choices=(correction or {}).get("choices", {}),
        decisions=((correction or {}).get("decisions") or [])[:40],
        drop_tables=drop_tables,
        usage=usage_rows,
        warnings=warnings[:30],
    )


def write_report(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf8")
