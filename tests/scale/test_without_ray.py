"""The single-process path needs no Ray: the package and its CLI import with Ray unavailable, and asking
for `--engine ray` then says which extra to install instead of failing deep inside a run."""

from __future__ import annotations

import os
import subprocess
import sys

import distill_fixtures as F

BLOCK_RAY = "import sys; sys.modules['ray'] = None; sys.modules['ray.data'] = None"


def run_without_ray(code: str, tmp_path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(F.ROOT), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-c", f"{BLOCK_RAY}\n{code}"]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_the_cli_imports_and_names_the_extra_when_ray_is_missing(tmp_path):
    texts = tmp_path / "texts.txt"
    texts.write_text("\n".join(F.TEXTS), encoding="utf8")
    (tmp_path / "no-student").mkdir()  # it exists (the command line checks that), but holds no pipeline
    code = (
        "import spacy_progner.scale.jobs, spacy_progner.scale.batch_files\n"
        "from spacy_progner.cli import main\n"
        f"sys.argv = ['spacy-progner', 'relabel', 'no-student', {str(texts)!r}, 'out.spacy', '--engine', 'ray']\n"
        "main()"
    )
    result = run_without_ray(code, tmp_path)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 1, result.stderr[-2000:]
    assert "pip install 'spacy-progner[ray]'" in output and "Traceback" not in result.stderr
    assert not (tmp_path / "out.spacy").exists()
