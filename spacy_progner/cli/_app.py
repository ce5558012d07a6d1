"""The typer app and what every command shares: options with one meaning everywhere, the model they
name, clear errors, and a step's frame (timer, usage ledger, metrics file)."""

from __future__ import annotations

import functools
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, Optional

import srsly
import typer
from confection import ConfigValidationError
from wasabi import msg

from ..errors import ProgNERError, SettingsError, StepError
from ..llm import ChatModel, UsageLedger, select
from ..ner.domain import DomainSpec

app = typer.Typer(
    name="spacy_progner",
    add_completion=False,
    no_args_is_help=True,
    help="spacy-progner: zero-shot NER (reverse_ner) and synthetic NER corpora (ProgGen) with an LLM.",
)


def friendly_errors(func: Callable) -> Callable:
    """Turn the package's own errors (bad input, settings, model answers) and spaCy's config validation
    errors into one clear line and exit code 1. Anything else is a bug and keeps its traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ProgNERError, ConfigValidationError) as err:
            msg.fail(f"{type(err).__name__}: {err}")
            sys.exit(1)

    return wrapper


def write_metrics(path: Path, data: Dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    srsly.write_json(path, data)
    msg.good(f"Wrote {path}")


# The same option means the same thing in every command; paths a command reads are checked to exist.
DOMAIN = typer.Argument(
    ..., help="Domain spec (YAML): types, definitions, demos, guidelines.", exists=True, dir_okay=False
)
SAMPLES_IN = typer.Argument(..., help="Samples JSONL (one {sentence, entities} a line).", exists=True, dir_okay=False)
GPU_ID = typer.Option(-1, "--gpu-id", "-g", help="GPU to run the spaCy model on (-1: CPU), as in spaCy's commands.")
MODEL = typer.Option(
    "local", "--model", "-m", help="local (the embedded model) | gguf:PATH | a JSON/YAML file with an @llm_models block"
)
CACHE = typer.Option(None, "--cache-path", help="LLM cache file (default: user cache dir); reruns are free.")
SEED = typer.Option(0, "--seed", help="Seed of prompts and sampling (same seed: same requests, cache hits).")


def use_gpu(gpu_id: int) -> None:
    """spaCy's own GPU switch (`-1`: CPU), as `spacy train` and `spacy evaluate` do it."""
    from spacy.cli._util import setup_gpu

    setup_gpu(gpu_id)


def gguf_path(model: str, command: str) -> Optional[str]:
    """The GGUF file a command that runs llama.cpp in process takes from `--model`: None for the embedded
    model; a model block (a remote server) is no model such a command can run."""
    if model == "local":
        return None
    if model.startswith("gguf:"):
        return model[len("gguf:") :]
    raise SettingsError(f"{command} --model {model!r}: this command runs a model in process: give local or gguf:PATH")


def load_model(spec: str, cache_path: Optional[str], max_concurrency: Optional[int] = None) -> ChatModel:
    """The model named by `--model`, with its own usage ledger; every answer goes through the cache."""
    model = select.load_model(spec, cache_path, max_concurrency)
    model.ledger = UsageLedger()  # one command, one account (also when commands share a process)
    return model


def read_spec(path: Path) -> DomainSpec:
    spec = DomainSpec.load(path)
    msg.info(f"Domain {spec.name}: {spec.domain}; types {', '.join(spec.types)}")
    return spec


class Step:
    """One step command's frame: timer, domain spec, the model's calls booked under the step's name,
    and the metrics JSON (seconds, usage) written at the end."""

    def __init__(self, name: str, domain: Optional[Path] = None):
        self.name = name
        self.start = time.perf_counter()
        self._spec = read_spec(domain) if domain is not None else None
        self.llm: Optional[ChatModel] = None

    @property
    def spec(self) -> DomainSpec:
        if self._spec is None:
            raise StepError(f"{self.name}: this step needs a domain spec (--domain)")
        return self._spec

    def ask(self, model: str, cache_path: Optional[str], fn: Callable[[ChatModel], Dict[str, Any]]) -> Dict[str, Any]:
        self.llm = load_model(model, cache_path)
        with self.llm.ledger.step(self.name):
            return fn(self.llm)

    def finish(self, metrics_path: Path, data: Dict[str, Any]) -> None:
        head: Dict[str, Any] = {"step": self.name}
        if self._spec is not None:
            head["domain"] = self._spec.name
        data = {**head, **data, "seconds": round(time.perf_counter() - self.start, 2)}
        if self.llm is not None:
            data["usage"] = self.llm.ledger.to_dict()
            total = data["usage"]["total"]
            msg.info(
                f"LLM: {total['calls']} calls, {total['cache_hits']} cache hits, "
                f"{total['prompt_tokens']} prompt + {total['completion_tokens']} completion tokens"
            )
        write_metrics(metrics_path, data)


def main() -> None:
    app()
