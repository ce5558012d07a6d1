"""`info`: versions, registered names, and the state of the embedded default model."""

from __future__ import annotations

import importlib.metadata as md
import json
from typing import Any, Dict, Optional

import typer
from wasabi import msg

from ..about import __version__
from ..llm.cache import default_cache_path
from ..llm.default_model import status
from ._app import app, friendly_errors

PACKAGES = ("spacy", "spacy-llm", "thinc", "xllamacpp", "sentence-transformers", "torch", "scikit-learn")


def registered() -> dict:
    """Our names in spaCy's and spacy-llm's registries (entry points included)."""
    import spacy
    from spacy_llm.registry import registry

    import spacy_progner  # noqa: F401  (registers on import)

    factories = sorted(n for n in spacy.registry.factories.get_all() if "progner" in n or n in ("reverse_ner",))
    return {
        "factories": factories,
        "llm_models": sorted(n for n in registry.llm_models.get_all() if n.startswith("spacy_progner.")),
        "llm_tasks": sorted(n for n in registry.llm_tasks.get_all() if n.startswith("spacy_progner.")),
    }


def versions() -> dict:
    out: Dict[str, Optional[str]] = {"spacy-progner": __version__}
    for name in PACKAGES:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = None
    return out


@app.command("info")
@friendly_errors
def info_cli(
    verify: bool = typer.Option(True, help="Hash the default model file (about 5 s) to check its sha256."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Show versions, registered factories/tasks/models and the default model's state."""
    data: Dict[str, Any] = {
        "versions": versions(),
        "registered": registered(),
        "default_model": status(verify=verify),
        "llm_cache": str(default_cache_path()),
    }
    if as_json:
        print(json.dumps(data, indent=2))
        return
    msg.divider("spacy-progner")
    msg.table(data["versions"], header=("package", "version"), divider=True)
    msg.table(
        {k: ", ".join(v) or "-" for k, v in data["registered"].items()}, header=("registry", "names"), divider=True
    )
    model = data["default_model"]
    msg.table({k: str(v) for k, v in model.items()}, header=("default model", ""), divider=True)
    msg.text(f"LLM cache: {data['llm_cache']}")
    if model.get("checksum_ok") is False:
        msg.fail("Default model checksum does not match; delete the file and rerun to reassemble it")
    elif not model["exists"]:
        msg.info("Default model not assembled yet; it is built on first use from the installed parts")
