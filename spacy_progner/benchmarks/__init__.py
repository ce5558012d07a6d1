"""Benchmarks on real data, in one place: the LLM layer (`llm`), `reverse_ner` against spacy-llm's
`spacy.NER.v3` (`reverse_ner`), ProgGen corpora (`proggen`) and distillation (`distill`), and the reader of
the evaluation datasets they share (`datasets`). Run them with `python -m spacy_progner benchmark ...`."""
