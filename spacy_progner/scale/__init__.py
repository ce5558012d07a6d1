"""Scaling out: sharded JSONL results keyed by text id, OpenAI batch files, and (optional extra
`spacy-progner[ray]`) Ray Data workers. Nothing here imports Ray unless a Ray engine is asked for."""
