"""Self-training's partial labels: where the LLM's labels and the student's agree, and where they do not.

Why: a student trained on the LLM's labels learns the LLM's mistakes as truth, and "outside" where the LLM
missed a name. Where the trained student and the LLM agree on a span and its type, the label is far more
often right; where only one of them marks a span, or they give it different types, neither is trusted. The
next student trains on the agreed spans and leaves the doubtful tokens unannotated ("missing"): spaCy's
`ner` learns nothing there, instead of learning a wrong answer (partial annotation).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Dict, List, Set, Tuple

from spacy.tokens import Doc, DocBin, Span
from tqdm import tqdm

Spans = Set[Tuple[int, int, str]]


def spans_of(doc: Doc) -> Spans:
    return {(e.start, e.end, e.label_) for e in doc.ents}


def agreed(teacher: Doc, student: Doc) -> Tuple[Doc, Counter]:
    """`teacher`'s tokens with the spans both docs have (same tokens, same type); the tokens of every span
    only one of them has, and those the teacher left unannotated, missing; the rest outside."""
    t_spans, s_spans = spans_of(teacher), spans_of(student)
    both = t_spans & s_spans
    doubtful = (t_spans | s_spans) - both
    missing = {i for a, b, _ in doubtful for i in range(a, b)} | {t.i for t in teacher if t.ent_iob == 0}
    out = Doc(teacher.vocab, words=[t.text for t in teacher], spaces=[bool(t.whitespace_) for t in teacher])
    ents = [Span(out, a, b, label=label) for a, b, label in sorted(both)]
    out.set_ents(ents, missing=[out[i : i + 1] for i in sorted(missing)], default="outside")
    t_only, s_only = {s[:2] for s in t_spans - both}, {s[:2] for s in s_spans - both}
    counts = Counter(agreed=len(both), retyped=len(t_only & s_only), teacher_only=len(t_only - s_only),
                     student_only=len(s_only - t_only), missing_tokens=len(missing))  # fmt: skip
    return out, counts


COUNTS = ("agreed", "retyped", "teacher_only", "student_only", "missing_tokens")


def agree(nlp, teachers: List[Doc], batch_size: int = 64) -> Tuple[DocBin, Dict[str, int]]:
    """Each teacher doc merged with the student's (`nlp`) tagging of the same tokens (`agreed`)."""
    inputs = (Doc(nlp.vocab, words=[t.text for t in d], spaces=[bool(t.whitespace_) for t in d]) for d in teachers)
    out = DocBin(attrs=["ENT_IOB", "ENT_TYPE"], store_user_data=False)
    counts: Counter = Counter()
    predicted = nlp.pipe(inputs, batch_size=batch_size)
    for teacher, student in tqdm(zip(teachers, predicted), total=len(teachers), desc="agree", unit="text"):
        doc, c = agreed(teacher, student)
        out.add(doc)
        counts.update(c)
    return out, {"docs": len(out), **{k: counts[k] for k in COUNTS}}


def agree_docbin(nlp, path: Path, output: Path) -> Dict[str, int]:
    """`agree` over a training DocBin (to-docbin's train.spacy), written to `output`."""
    docbin, counts = agree(nlp, list(DocBin().from_disk(path).get_docs(nlp.vocab)))
    output.parent.mkdir(parents=True, exist_ok=True)
    docbin.to_disk(output)
    return counts
