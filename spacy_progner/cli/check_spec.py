"""`check-spec`: a domain spec or labels file validated with no model call, and what it implies."""

from __future__ import annotations

from pathlib import Path

import typer
from wasabi import msg

from ..ner.check import describe
from ._app import app, friendly_errors


@app.command("check-spec")
@friendly_errors
def check_spec_cli(
    path: Path = typer.Argument(
        ..., help="A domain spec or a labels file (YAML or JSON).", exists=True, dir_okay=False
    ),
) -> None:
    """Validate a domain spec or labels file without any model call, and say what the package will do with it."""
    info = describe(path)
    msg.good(f"{path}: a valid {info['kind']} with {len(info['types'])} types")
    msg.table([(label, definition) for label, definition in info["types"].items()], header=("type", "definition"))
    if info["kind"] == "labels":
        msg.info("Enough for reverse_ner and annotate; ProgGen and correction need a domain spec (docs/domain-spec.md)")
        return
    msg.text(f"name {info['name']}, language {info['language']}, domain: {info['domain']}")
    no_entity = "a" if info["no_entity_demo"] else "no"
    msg.text(f"{info['demos']} demo sentences (one per type, extra ones, and {no_entity} no-entity demo)")
    rows = [
        (label, ", ".join(f"{a} {n}" for a, n in counts.items()), info["names_per_type"].get(label, 0),
         info["shapes"].get(label, "no rule (fewer than 3 names)"))
        for label, counts in info["guideline_demos"].items()
    ]  # fmt: skip
    msg.table(rows, header=("type", "guideline demos", "names shown", "shape filter: a name of this type"))
    msg.text(f"text scripts: {', '.join(info['scripts'])}; surface: {info['surface']}")
