"""The benchmarks project's code (not part of the installed package): the LLM layer (`llm`), `reverse_ner`
against spacy-llm's `spacy.NER.v3` (`reverse_ner`), ProgGen corpora (`proggen`), distillation (`distill`),
where they find the evaluation data (`datasets`, `paths`) and the tables they write (`tables`).
Run from `benchmarks/`: `python -m bench --help`."""
