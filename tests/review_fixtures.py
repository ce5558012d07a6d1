"""A small annotated corpus written for these tests (invented sentences, no dataset text), with the
uncertainty marks `crosscheck` and `annotate` leave, and a three-type spec."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import yaml

SPEC_PATH = Path(__file__).parents[1] / "configs" / "domains" / "conll2003.yml"
LABELS = ["PER", "LOC", "ORG"]


def ent(sentence: str, text: str, label: str, **marks: Any) -> Dict[str, Any]:
    start = sentence.index(text)
    return {"text": text, "label": label, "start": start, "end": start + len(text), **marks}


def corpus() -> List[Dict[str, Any]]:
    s0 = "Mira Olsen joined Brightwater Labs in Tromsø last spring ."
    s1 = "The orchestra of Velden played in Kastor Hall on Sunday ."
    s2 = "Jonas Pell met the mayor of Ostrava ."
    s3 = "Nothing happened at the quiet harbour that week ."
    s4 = "Ada Vorn sold Quillfeather to Harrow Group ."
    return [
        {"id": "t0", "sentence": s0, "entities": [
            ent(s0, "Mira Olsen", "PER", confidence=0.97, agree=True),
            ent(s0, "Brightwater Labs", "ORG", confidence=0.62, agree=True),
            ent(s0, "Tromsø", "LOC", confidence=0.91, agree=True)]},
        {"id": "t1", "sentence": s1, "entities": [
            ent(s1, "Velden", "ORG", confidence=0.31, agree=False),
            ent(s1, "Kastor Hall", "PER", confidence=0.55, agree=False),
            ent(s1, "Sunday", "LOC", confidence=0.4, agree=False, proposed=True)]},
        {"id": "t2", "sentence": s2, "entities": [
            ent(s2, "Jonas Pell", "PER", logprob=-0.01, agree=True),
            ent(s2, "Ostrava", "LOC", logprob=-0.9, agree=True)]},
        {"id": "t3", "sentence": s3, "entities": []},
        {"id": "t4", "sentence": s4, "entities": [
            ent(s4, "Ada Vorn", "PER", confidence=0.88, agree=False),
            ent(s4, "Harrow Group", "ORG", confidence=0.93, agree=True)]},
    ]  # fmt: skip


def write_corpus(path: Path, rows: List[Dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf8")
    return path


def log_lines(path: Path) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf8").splitlines() if line.strip()]


def spec_dict() -> Dict[str, Any]:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf8"))


# The review server in its own process, as a person starts it: `python -m spacy_progner review ...`.
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402

REPO = Path(__file__).parents[1]
URL = re.compile(r"Review at (http://[\d.]+:(\d+)/\?token=(\S+))")


class Server:
    """A running `review` command; `url`, `base` and `token` from the line it prints."""

    def __init__(self, corpus: Path, out: Path, *args: str):
        cmd = [sys.executable, "-m", "spacy_progner", "review", str(SPEC_PATH), str(corpus), str(out), *args]
        self.proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.output = ""
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.proc.stdout.readline() if self.proc.stdout else ""
            if not line and self.proc.poll() is not None:
                raise RuntimeError(f"review exited {self.proc.returncode}: {self.output}")
            self.output += line
            m = URL.search(line)
            if m:
                self.url, self.token = m.group(1), m.group(3)
                self.base = self.url.split("/?")[0]
                return
        raise RuntimeError(f"no URL printed: {self.output}")

    def request(self, path: str, body: Any = None, token: Any = "", raw: bytes = b""):
        """(status, JSON) of a request; token "" means the right one, None none at all."""
        data = raw or (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method="POST" if data else "GET")
        if token is not None:
            req.add_header("X-Review-Token", token or self.token)
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                return res.status, json.loads(res.read() or b"{}")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"{}")

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL: no clean-up, as a crash or a closed terminal
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.proc.stdout:
            self.output += self.proc.stdout.read()
            self.proc.stdout.close()


def run_cli(*args: str):
    """The command in this process (typer's runner): exit code and output, as a person sees them."""
    from typer.testing import CliRunner

    from spacy_progner.cli import app

    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
