"""ProgGen (arXiv 2403.11103): synthesize an annotated NER corpus with an LLM, step by step.

attributes (Diversify X) -> entities (Diversify Y) -> generate (+ validate) -> correct
-> to-docbin -> spacy train -> evaluate -> report. Each step is a function here and a
`python -m spacy_progner <step>` command in `spacy_progner.cli.proggen`.
"""

from ..errors import StepError

__all__ = ["StepError"]
