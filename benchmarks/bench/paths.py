"""Where the benchmarks project finds the repository's configs and its own result folders. Every command of
the project runs in `benchmarks/` (as `spacy project run` does), so paths are relative to it and the step
records stay free of any machine's absolute paths."""

from __future__ import annotations

from pathlib import Path

from spacy_progner.errors import SettingsError

CONFIGS = Path("../configs")
DOMAINS_DIR = CONFIGS / "domains"  # the domain specs of the benchmark datasets
TRAIN_CONFIG = CONFIGS / "train.cfg"
MINILM_CONFIG = CONFIGS / "train_minilm.cfg"
REVERSE_NER_DIR = Path("reverse_ner")
PROGGEN_DIR = Path("proggen")
DISTILL_DIR = Path("distill")
SCALE_DIR = Path("scale")
METRICS_DIR = Path("metrics")


def check_cwd() -> None:
    """The benchmarks run from their project folder; elsewhere every relative path would miss."""
    if not (Path("bench").is_dir() and Path("project.yml").is_file() and CONFIGS.is_dir()):
        raise SettingsError(
            f"run the benchmarks from the benchmarks/ folder of a source checkout (now in {Path.cwd()}): "
            "`cd benchmarks && spacy project run ...` or `python -m bench ...`"
        )
