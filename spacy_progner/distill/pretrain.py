"""A pretrained start for the fast CNN: spaCy's `pretrain` on your own unlabelled texts.

Why: the CNN of configs/train.cfg starts from nothing and learns words only from labelled texts (a
thousand from the LLM, or the student's labels of all texts). spaCy's pretraining objective (guess each
word's first and last characters from its context) teaches its tok2vec the words and shapes of your domain
from every text, cased and at no LLM cost; `spacy train --paths.init_tok2vec WEIGHTS` then starts there.
The [pretraining] block of the training config says how (its max_epochs is the default); a killed run
resumes from its last saved epoch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, Optional, Tuple

import srsly
from spacy import util

from ..errors import SettingsError, StepError

RAW_TEXT = "raw_text.jsonl"  # the texts as spaCy's JsonlCorpus reads them ({"text": ...} a line)
WEIGHTS = "model-last.bin"  # what `spacy train --paths.init_tok2vec` takes


@dataclass
class PretrainSettings:
    max_epochs: Optional[int] = None  # None: the config's [pretraining] max_epochs
    seed: int = 0

    def __post_init__(self) -> None:
        if self.max_epochs is not None and (not isinstance(self.max_epochs, int) or self.max_epochs < 1):
            raise SettingsError(f"pretrain: max_epochs must be a whole number >= 1, got {self.max_epochs!r}")


def write_raw_text(texts: Iterable[str], path: Path) -> int:
    """The texts as JSONL for spaCy's pretraining corpus; how many (blank ones are left out)."""
    rows = [{"text": t} for t in texts if t.strip()]
    if not rows:
        raise StepError(f"pretrain: no text to pretrain on (writing {path})")
    path.parent.mkdir(parents=True, exist_ok=True)
    srsly.write_jsonl(path, rows)
    return len(rows)


def last_epoch(output_dir: Path) -> Optional[Tuple[Path, int]]:
    """The latest `model<N>.bin` spaCy saved, to resume after it."""
    names = (re.fullmatch(r"model(\d+)\.bin", p.name) for p in output_dir.glob("model*.bin"))
    found = [(int(m.group(1)), output_dir / m.group(0)) for m in names if m]
    if not found:
        return None
    epoch, path = max(found)
    return path, epoch


def load_pretrain_config(config_path: Path, raw_text: Path, settings: PretrainSettings):
    overrides: Dict[str, Any] = {"paths.raw_text": str(raw_text), "system.seed": settings.seed}
    if settings.max_epochs is not None:
        overrides["pretraining.max_epochs"] = settings.max_epochs
    config = util.load_config(config_path, overrides=overrides, interpolate=False)
    if not config.get("pretraining"):
        raise SettingsError(f"pretrain: {config_path} has no [pretraining] block (configs/train.cfg has one)")
    return config.interpolate()  # as `spacy pretrain` hands it over


def pretrain_tok2vec(
    texts: Iterable[str], config_path: Path, output_dir: Path, settings: PretrainSettings, use_gpu: int = -1
) -> Dict[str, Any]:
    """Pretrain the config's tok2vec on `texts` into `output_dir` (WEIGHTS, one file per epoch, log.jsonl)."""
    from spacy.training.pretrain import pretrain

    raw = output_dir / RAW_TEXT
    n_texts = write_raw_text(texts, raw)
    config = load_pretrain_config(config_path, raw, settings)
    max_epochs = config["pretraining"]["max_epochs"]
    resume = last_epoch(output_dir)
    if resume is None or resume[1] + 1 < max_epochs:
        path, epoch = resume if resume else (None, None)
        pretrain(config, output_dir, resume_path=path, epoch_resume=None if epoch is None else epoch + 1,
                 use_gpu=use_gpu, silent=False)  # fmt: skip
    epochs = [r for r in srsly.read_jsonl(output_dir / "log.jsonl") if r["epoch"] < max_epochs]  # not model-last's
    if not (output_dir / WEIGHTS).is_file() or not epochs:
        raise StepError(f"pretrain: spaCy wrote no {WEIGHTS} in {output_dir}")
    return {"texts": n_texts, "epochs": max_epochs, "words_seen": epochs[-1]["nr_word"],
            "last_epoch_loss": epochs[-1]["epoch_loss"], "weights": str(output_dir / WEIGHTS)}  # fmt: skip
