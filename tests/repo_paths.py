"""Where the tests find the repository's domain specs and the evaluation datasets (read in place, never
copied; tests that need them skip where they are absent)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOMAINS_DIR = REPO / "configs" / "domains"
DATASETS = Path(os.environ.get("SPACY_PROGNER_DATASETS") or REPO.parent / "shared" / "datasets")
