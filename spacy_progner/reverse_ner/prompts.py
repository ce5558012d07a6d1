"""Every prompt ReverseNER sends. The instruction comes first and is the same for all
sentences of a run, so llama.cpp's prefix cache makes it nearly free; what varies
(demonstrations, the sentence) comes last."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple

from ..llm import ChatRequest
from ..ner import LabelSet, entity_schema, mention_bound
from ..ner.answers import Mention, compact, string_list_schema


def demo_answer(entities: Sequence[Mention]) -> str:
    """A demo answer as compact JSON: it shows the model the short form (fewer tokens to generate)."""
    return compact({"entities": [{"text": t, "label": lab} for t, lab in entities]})


def ner_system(labels: LabelSet) -> str:
    return (
        "You are a careful named-entity annotator. Find every named entity of these types in the user's text:\n"
        f"{labels.describe()}\n"
        "Copy each entity's text exactly as it appears (same spelling and casing). Only label names of these types: "
        "not common nouns, pronouns, job titles, numbers or dates unless a type says so. A name that occurs twice "
        'is listed once. If there is none, answer {"entities":[]}. Answer in compact JSON.'
    )


def ner_request(
    labels: LabelSet,
    sentence: str,
    demos: Sequence[Tuple[str, Sequence[Mention]]] = (),
    n: int = 1,
    temperature: float = 0.0,
    seed: int = 0,
    max_tokens: int = 256,
    logprobs: bool = False,
) -> ChatRequest:
    """System instruction, k demos as user/assistant turns (most similar last), then the sentence.

    The answer may list at most `mention_bound(sentence)` mentions and gets that many items' worth
    of tokens (up to `max_tokens`): a model that starts repeating one mention stops early instead
    of running on to max_tokens."""
    messages = [{"role": "system", "content": ner_system(labels)}]
    for text, ents in demos:
        messages.append({"role": "user", "content": text})
        messages.append({"role": "assistant", "content": demo_answer(ents)})
    messages.append({"role": "user", "content": sentence})
    bound = mention_bound(sentence)
    return ChatRequest(
        messages=messages,
        json_schema=entity_schema(labels, max_items=bound),
        n=n,
        temperature=temperature,
        seed=seed,
        max_tokens=min(max_tokens, 16 + 24 * bound),
        logprobs=logprobs,
    )


def ner_prompt_text(labels: LabelSet, sentence: str, demos: Sequence[Tuple[str, Sequence[Mention]]] = ()) -> str:
    """The same prompt as one plain string, for spacy-llm models that take text prompts."""
    parts = [ner_system(labels), ""]
    for text, ents in demos:
        parts += [f"Text: {text}", f"Answer: {demo_answer(ents)}", ""]
    parts += [f"Text: {sentence}", "Answer:"]
    return "\n".join(parts)


def pool_request(labels: LabelSet, label: str, n: int, domain: str, seed: int) -> ChatRequest:
    others = ", ".join(f"{lab} ({labels[lab]})" for lab in labels if lab != label)
    user = (
        f"Entity type {label}: {labels[label]}\n"
        + (f"Text domain: {domain}\n" if domain else "")
        + (f"Not this type: {others}.\n" if others else "")
        + f"List {n} different {label} entities that fit the definition. Mix famous and little-known ones, from "
        "different countries, short and long, written as they appear in running text. Names only, no descriptions."
    )
    return ChatRequest(
        messages=[{"role": "user", "content": user}],
        json_schema=string_list_schema("entities", n),
        temperature=1.0,
        seed=seed,
        max_tokens=24 * n,
    )


def typecheck_schema(labels: LabelSet, n: int) -> Dict[str, Any]:
    """One verdict per name, at most n: a model that starts repeating itself cannot run on to max_tokens."""
    return {
        "type": "object",
        "properties": {
            "types": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"text": {"type": "string"}, "label": {"type": "string", "enum": [*labels, "NONE"]}},
                    "required": ["text", "label"],
                    "additionalProperties": False,
                },
                "maxItems": n,
            }
        },
        "required": ["types"],
        "additionalProperties": False,
    }


def typecheck_request(labels: LabelSet, names: Sequence[str]) -> ChatRequest:
    user = (
        f"Entity types:\n{labels.describe()}\n- NONE: not a name of any of these types\n\n"
        "Give the type of each of these names, in order:\n" + "\n".join(f"- {name}" for name in names)
    )
    return ChatRequest(
        messages=[{"role": "user", "content": user}],
        json_schema=typecheck_schema(labels, len(names)),
        temperature=0.0,
        max_tokens=16 * len(names) + 32,
    )


def expansion_request(
    labels: LabelSet, feature: str, entities: Sequence[Mention], seed: int, domain: Optional[str] = None
) -> ChatRequest:
    """Reverse expansion: a new sentence shaped like `feature` that holds exactly `entities`."""
    if entities:
        wanted = "\n".join(f'- "{text}" ({label})' for text, label in entities)
        must = (
            f"It must contain exactly these entities, copied verbatim:\n{wanted}\n"
            f"and no other names of types {', '.join(labels)}."
        )
    else:
        must = f"It must contain no names of types {', '.join(labels)} at all."
    user = (
        f"Entity types:\n{labels.describe()}\n\n"
        f"Model sentence:\n{feature}\n\n"
        "Write one new sentence about something else with the same form as the model sentence: same length, "
        "punctuation and casing (if it is a headline, a table or score line, a dateline or a list, write one of "
        f"those too). {must}\n"
        "Answer in compact JSON with the sentence and its entities."
    )
    if domain:
        user = f"Text domain: {domain}\n" + user
    return ChatRequest(
        messages=[{"role": "user", "content": user}],
        json_schema=entity_schema(labels, sentence=True),
        temperature=0.8,
        seed=seed,
        max_tokens=320,
    )
