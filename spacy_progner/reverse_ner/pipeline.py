"""One way to make a blank spaCy pipeline with a `reverse_ner` pipe, for every caller that builds one in
code (`build-pipeline`, `annotate` without a saved pipeline, the benchmarks): the labels (a mapping, a
labels file or a domain spec, whose text domain becomes the pipe's `domain`) and the settings go through
the factory's own config, so they are validated the same way as in a user's config file."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Optional, Tuple, Union, cast

import spacy
from spacy.language import Language

from ..ner import LabelSet
from ..ner.domain import spec_domain
from .component import ReverseNER
from .library import ExampleLibrary


def reverse_ner_pipeline(
    labels: Union[LabelSet, Dict[str, str], str, Path],
    model: Optional[Dict[str, Any]] = None,
    *,
    lang: str = "en",
    library: Optional[ExampleLibrary] = None,
    **settings: Any,
) -> Tuple[Language, ReverseNER]:
    """A blank `lang` pipeline and its `reverse_ner` pipe. `model`: an `@llm_models` block (default: the
    factory's, the embedded model); `settings`: any other `reverse_ner` config setting; `library`: set on
    the pipe (no build)."""
    label_set = labels if isinstance(labels, LabelSet) else LabelSet.from_any(labels)
    config: Dict[str, Any] = {"labels": label_set.to_dict(), **settings}
    if not isinstance(labels, (LabelSet, dict)) and "domain" not in settings:
        config["domain"] = spec_domain(labels)  # a domain spec's text domain, else ""
    if model is not None:
        config["model"] = model
    nlp = spacy.blank(lang)
    pipe = cast(ReverseNER, nlp.add_pipe("reverse_ner", config=config))
    if library is not None:
        pipe.set_library(library)
    return nlp, pipe
