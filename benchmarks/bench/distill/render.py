"""benchmark.md from the report: the table of rows, then per dataset the summary lines (the label-free
estimate's calibration against the real F1, the teacher's label F1 on the held-out texts and the corpus,
the two-pass and `--more` corpora, the speeds). Text only, apart from `report`, so that the wording can
change without touching how the numbers are gathered."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from scipy.stats import spearmanr

from spacy_progner.distill.estimate import EstimateSettings

from ..datasets import SAMPLE_N
from ..tables import abcd_cell, number_cell, per_type_cell
from .names import STUDENT_SPEED, WORKFLOW_ROWS

TABLE_HEAD = (
    "| dataset | training data | sentences | micro F1 | P | R | per-type F1 | A/B/C/D | LLM calls / 1k annotated | "
    "model seconds / 1k annotated | agreement with teacher (held-out) | docs/s (test split) |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
)


def markdown(report: Dict[str, Any]) -> str:
    """benchmark.md: one table of every dataset's rows, then each dataset's summary lines, one bullet each."""
    lines = list(TABLE_HEAD)
    for ds in report["datasets"]:
        lines += [row_line(ds["dataset"], name, r) for name, r in ds["configs"].items()]
    lines.append("")
    for ds in report["datasets"]:
        lines += [f"- **{ds['dataset']}** {text}" for text in summary_texts(ds)]
    return "\n".join(lines) + "\n"


def row_line(dataset: str, name: str, r: Dict[str, Any]) -> str:
    """One row of the table; the LLM's cost per 1,000 annotated texts only on the distilled rows (ProgGen's
    rows count theirs per kept sentence, in their own benchmark); the docs/s are the row's model tagging the
    whole test split as it was scored (`model_docs_per_s`): the same texts for every row of a dataset, but
    not one timing run, so the summary's speed lines compare models timed together."""
    per_type, abcd = per_type_cell(r["per_type_f1"]), abcd_cell(r.get("correction_choices"))
    p1k = r.get("llm_per_1000_kept") if name.startswith("distill") else None
    calls = f"{p1k['calls']:.0f}" if p1k else "–"
    secs = f"{p1k['seconds']:.0f}" if p1k else "–"
    agreement, speed = number_cell(r.get("agreement_f1")), number_cell(r.get("model_docs_per_s"), ".0f")
    return (
        f"| {dataset} | {name} | {r['kept_sentences']} | {r['f1']:.3f} | {r['p']:.3f} | {r['r']:.3f} | "
        f"{per_type} | {abcd} | {calls} | {secs} | {agreement} | {speed} |"
    )


def summary_texts(ds: Dict[str, Any]) -> List[str]:
    """A dataset's summary lines in benchmark.md's order, without the bullet and the dataset's name; a
    line whose record is not on disk is left out."""
    c = ds["corpus_f1"]
    after = c.get("corrected")
    texts = [calibration_text(ds["configs"]), heldout_text(c.get("heldout"))]
    texts.append(
        "corpus annotation F1 against the hidden gold tags: "
        f"annotated {prf(c['annotated'])}" + (f", after correction {prf(after)}" if after else "")
    )
    if ds.get("two_pass"):
        texts.append(two_pass_line(ds["two_pass"]))
    texts += [more_line(more) for more in ds.get("more") or ()]
    return [text for text in [*texts, *speed_texts(ds)] if text is not None]


def calibration_text(configs: Dict[str, Any]) -> Optional[str]:
    """The label-free estimate against the real test F1 (`calibration`; None below two estimated rows)."""
    cal = calibration(configs)
    if not cal:
        return None
    return (
        f"label-free estimate against the real test F1, {cal['rows']} rows: test F1 "
        f"minus agreement {cal['mean_gap']:+.3f} on average ({cal['min_gap']:+.3f} to {cal['max_gap']:+.3f}); "
        f"rank correlation {cal['spearman']:.2f}"
        + (
            f"; the test F1 inside the agreement's {EstimateSettings.level:.0%} bootstrap interval (the "
            f"held-out texts resampled; the teacher's own errors not in it) for {cal['inside_interval']} of "
            f"the {cal['with_interval']} rows that have one"
            if cal["with_interval"]
            else ""
        )
    )


def heldout_text(h: Optional[Dict[str, Any]]) -> Optional[str]:
    """The teacher's label F1 on the held-out texts, the estimate's reference (None until labelled)."""
    if not h:
        return None
    return (
        "the teacher on the held-out texts (the estimate's reference: the test "
        f"sample's {SAMPLE_N} sentences, scored against their gold tags): F1 {prf(h)}"
        + _library_note(h.get("library_examples") or {})
    )


def speed_texts(ds: Dict[str, Any]) -> List[str]:
    """The speed lines: the pipe against the distilled model, the students against the pipe, and the
    workflow's two models, timed in a step of their own (maybe on another machine than the pipe)."""
    texts: List[str] = []
    if ds.get("speed"):
        sp = ds["speed"]
        texts.append(
            f"speed on the same {sp['docs']} test sentences: reverse_ner pipe "
            f"{sp['pipe_docs_per_s']:.3f} docs/s, distilled spaCy model {sp['model_docs_per_s']:.0f} docs/s "
            f"({sp['model_docs_per_s'] / sp['pipe_docs_per_s']:.0f}x)"
        )
    if ds.get("speed") and ds.get("student_speed"):
        pipe = ds["speed"]["pipe_docs_per_s"]
        timed = [(k, ds["student_speed"][k]) for k in STUDENT_SPEED if k in ds["student_speed"]]
        cells = [f"{k} {v:.0f} docs/s ({v / pipe:.0f}x)" for k, v in timed]
        texts.append("students on the same sentences: " + ", ".join(cells))
    if ds.get("workflow_speed"):
        cells = [f"{k} {ds['workflow_speed'][k]:.0f} docs/s" for k in WORKFLOW_ROWS]
        texts.append("the workflow's two models, timed together on the same sentences: " + ", ".join(cells))
    return texts


def calibration(configs: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """How well the label-free estimate predicts the real test F1 over the rows that have both: the gap
    (real minus estimate) and Spearman's rank correlation (does a higher estimate mean a better model?)."""
    pairs = [(r["agreement_f1"], r["f1"]) for r in configs.values() if r.get("agreement_f1") is not None]
    if len(pairs) < 2:
        return None
    gaps = [real - est for est, real in pairs]
    rho = spearmanr([est for est, _ in pairs], [real for _, real in pairs]).statistic
    spans = [(r["agreement_interval"], r["f1"]) for r in configs.values() if r.get("agreement_interval")]
    inside = sum(lo <= real <= hi for (lo, hi), real in spans)
    return {"rows": len(pairs), "mean_gap": sum(gaps) / len(gaps), "min_gap": min(gaps), "max_gap": max(gaps),
            "spearman": float(rho), "with_interval": len(spans), "inside_interval": inside}  # fmt: skip


def _library_note(examples: Dict[str, Any]) -> str:
    """Which library labelled the held-out texts, where it is not the one that annotated the corpus."""
    held, annotated = examples.get("heldout"), examples.get("annotate")
    if held is None or held == annotated:
        return ""
    return (
        f"; its library was built again from the same settings ({held} examples; the one that annotated "
        f"the corpus had {annotated})"
    )


def prf(gold: Dict[str, float]) -> str:
    """A label F1 record as the summary lines quote it: F1 (P, R)."""
    return f"{gold['f']:.3f} (P {gold['p']:.3f}, R {gold['r']:.3f})"


def two_pass_line(t: Dict[str, Any]) -> str:
    """The two-pass teacher in one sentence: what joined the library and what the second pass's texts got."""
    first, demos, second = t["first_pass"], t["user_demos"], t["second_pass_gold"]
    one = t.get("one_pass_gold")
    libraries = t.get("library_examples") or {}
    text = (
        f"two passes (`--two-pass {first}`): of the first {first} annotated texts, cross-checked, {demos['added']} "
        f"joined the library (label F1 {demos['gold']['f']:.3f}); the other texts' labels by the larger library "
        f"{prf(second)}"
    )
    if one:
        text += f", by the library alone {prf(one)} ({libraries.get('one_pass')} examples)"
    build = libraries.get("corpus")
    if build is not None and build != libraries.get("one_pass"):  # libraries are not committed: built again
        text += f"; the one-pass corpus's labels of the same texts (another build, {build} examples)"
    else:
        text += "; the one-pass corpus's labels of the same texts"
    text += f" {prf(t['corpus_one_pass_gold'])}"
    if t.get("corrected_gold"):
        text += f"; the two-pass corpus {prf(t['corpus_gold'])}, after correction {prf(t['corrected_gold'])}"
    if t.get("same_build_corrected_gold"):
        text += f"; the same build's one-pass corpus after correction {prf(t['same_build_corrected_gold'])}"
    if hits := t.get("second_pass_cache_hits"):  # a step run again after a stop: its earlier calls came from the cache
        text += f"; {hits} of the second pass's requests were answered from the LLM cache, so its seconds undercount"
    return text


def more_line(t: Dict[str, Any]) -> str:
    """The more-text corpus in one sentence: how well the new texts and the whole corpus are labelled."""
    built, past = t["library_examples"], t.get("past", 0)
    tagged = t["more"] - past
    after = f"the `--more {past}` corpus's {t['sample'] + past:,}" if past else "the sample"
    text = f"more text (`--more {t['more']}`): the {tagged:,} train texts after {after}"
    text += f" labelled at {prf(t['more_gold'])}"
    if built["more"] != built["sample"]:  # libraries are not committed: built again
        text += f" by a build of {built['more']} examples (the sample's {t['sample']:,} by one of {built['sample']})"
    text += f"; the {t['more'] + t['sample']:,}-text corpus {prf(t['corpus_gold'])}"
    if t.get("corrected_gold"):
        text += f", after correction {prf(t['corrected_gold'])}"
    if hits := t.get("cache_hits"):  # a repeated text, or a step run again after a stop (the bench tags in memory)
        text += (
            f"; {hits} of its tagging requests were answered from the LLM cache (a repeated text, or a run resumed "
            "after a stop: then its seconds undercount)"
        )
    return text
