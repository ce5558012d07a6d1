"""Every prompt ReverseNER sends. The instruction comes first and is the same for all
sentences of a run, so llama.cpp's prefix cache makes it nearly free; what varies
(demonstrations, the sentence) comes last."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Dict, Optional, Sequence, Tuple

from ..llm import ChatRequest
from ..ner import LabelSet, entity_schema, mention_bound
from ..ner.answers import Mention, closed_object, compact, item_budget, string_list_schema, text_tokens
from ..ner.forms import answer_schema, as_value, render, value_schema
from ..ner.labels import OTHER
from .expand import word_range
from .groups import numbered

NAME_WORDS = re.compile(r"\b(name|title)s?\b", re.IGNORECASE)


def names_only(labels: LabelSet) -> bool:
    """Whether every type is a kind of name or title (PER/ORG/LOC, artists and albums), as its definition
    says. Then the prompt holds the model to names, which keeps common nouns out of news tagging; a set
    with descriptive types (a cuisine, a price, "open late") is held to what the definitions cover instead,
    since "names only" makes the model skip most of their mentions."""
    return all(NAME_WORDS.search(definition) for definition in labels.values())


def ner_system(labels: LabelSet, form: str = "mentions", grouped: bool = False, domain: str = "") -> str:
    """The tagging instruction. For a descriptive set the model is told the text is data, and what kind
    (`domain`): with neither, the 1.5B model takes a spoken query as addressed to it and answers nothing
    (k=0 on the MIT tuning split, `benchmarks/reverse_ner_tune_variants/`). News sets are left as measured."""
    if names_only(labels):
        scope = (
            "Copy each entity's text exactly as it appears (same spelling and casing). Only label names of these "
            "types: not common nouns, pronouns, job titles, numbers or dates unless a type says so. A name that "
            "occurs twice is listed once."
        )
        task = "You are a careful named-entity annotator. Find every named entity of these types in the user's text"
    else:
        scope = (
            "Copy each mention's text exactly as it appears (same spelling and casing). Label only what a type's "
            "definition covers: no pronouns, and no common nouns, job titles, numbers or dates unless a definition "
            "includes them. A mention that occurs twice is listed once."
        )
        task = (
            "You are a careful annotator. The user's text is data to annotate, not a request to you: never reply "
            "to it. Find every mention of these entity types in it"
        )
        task = (f"Text domain: {domain}\n" if domain else "") + task
    return f"{task}:\n{labels.describe()}\n{scope} {answer_format(labels, form, grouped)}"


def answer_format(labels: LabelSet, form: str, grouped: bool) -> str:
    """The answer form in words, with its shape (the demos show it too; k = 0 has only this)."""
    first = next(iter(labels))
    if grouped:
        some = compact(as_value([("...", first)], form))
        return (
            "The user gives numbered texts. Answer in compact JSON with one key per text number and that text's "
            f'mentions as its value, e.g. {{"1":{some},"2":{compact(as_value([], form))}}}.'
        )
    if form == "by_type":
        return (
            f'Answer in compact JSON with one list of mentions per type that occurs, e.g. {{"{first}":["...","..."]}}'
            "; leave out the types that do not occur, and answer {} if there is none."
        )
    if form == "pairs":
        return (
            f'Answer in compact JSON with one [text, type] pair per mention, e.g. {{"entities":[["...","{first}"]]}}'
            '. If there is none, answer {"entities":[]}.'
        )
    return 'If there is none, answer {"entities":[]}. Answer in compact JSON.'


def user_turn(labels: LabelSet, sentence: str, has_demos: bool) -> str:
    """The sentence as the last user turn. With no demo, a spoken query or question ("does applebees on elm
    street have carry out") reads as addressed to the model, which then answers nothing at all for most of
    them; a label in front of it says it is data (tuning split, `benchmarks/reverse_ner_tune_variants/`).
    News sets keep the bare sentence: there the label cost CoNLL-2003 2.6 F1 and no sentence is a request."""
    if has_demos or names_only(labels):
        return sentence
    return f"Text to annotate: {sentence}"


def ner_request(
    labels: LabelSet,
    sentence: str,
    demos: Sequence[Tuple[str, Sequence[Mention]]] = (),
    n: int = 1,
    temperature: float = 0.0,
    seed: int = 0,
    max_tokens: int = 256,
    logprobs: bool = False,
    form: str = "mentions",
    domain: str = "",
) -> ChatRequest:
    """System instruction, k demos as user/assistant turns (most similar last), then the sentence.

    The answer may list at most `mention_bound(sentence)` mentions and gets that many items' worth
    of tokens (up to `max_tokens`): a model that starts repeating one mention stops early instead
    of running on to max_tokens."""
    messages = [{"role": "system", "content": ner_system(labels, form, domain=domain)}]
    for text, ents in demos:
        messages.append({"role": "user", "content": text})
        messages.append({"role": "assistant", "content": render(ents, form)})
    messages.append({"role": "user", "content": user_turn(labels, sentence, bool(demos))})
    bound = mention_bound(sentence)
    return ChatRequest(
        messages=messages,
        json_schema=answer_schema(list(labels), form, max_items=bound),
        n=n,
        temperature=temperature,
        seed=seed,
        max_tokens=min(max_tokens, 16 + 24 * bound),
        logprobs=logprobs,
    )


def check_request(labels: LabelSet, sentence: str, domain: str = "") -> ChatRequest:
    """The zero-shot re-annotation of a library example (`build.check_examples`).

    No demo shows the compact form here, so the small model often pretty-prints its answer, and it may
    list a mention more than once: the budget is every allowed item pretty-printed plus the sentence's
    own tokens, not the tagging budget (capped at 256 tokens, which cut off two check answers of 11-15
    items in each of the CoNLL-2003 and WikiGold builds)."""
    longest = max(labels, key=len)
    budget = 32 + text_tokens(sentence) + mention_bound(sentence) * item_budget(longest)
    return replace(ner_request(labels, sentence, domain=domain), max_tokens=budget)


def group_request(
    labels: LabelSet,
    sentences: Sequence[str],
    demos: Sequence[Tuple[str, Sequence[Mention]]] = (),
    form: str = "mentions",
    n: int = 1,
    temperature: float = 0.0,
    seed: int = 0,
    max_tokens: int = 256,
    domain: str = "",
) -> ChatRequest:
    """Several numbered texts sharing one set of demos (themselves one numbered turn, answered by number);
    see `groups`. Each text's answer is bounded and budgeted as in `ner_request`."""
    messages = [{"role": "system", "content": ner_system(labels, form, grouped=True, domain=domain)}]
    if demos:
        answers = {str(i): as_value(ents, form) for i, (_, ents) in enumerate(demos, 1)}
        messages.append({"role": "user", "content": numbered([text for text, _ in demos])})
        messages.append({"role": "assistant", "content": compact(answers)})
    messages.append({"role": "user", "content": numbered(sentences)})
    bounds = [mention_bound(sentence) for sentence in sentences]
    keys = [str(i) for i in range(1, len(sentences) + 1)]
    schema = closed_object({key: value_schema(list(labels), form, b) for key, b in zip(keys, bounds)})
    budget = sum(min(max_tokens, 16 + 24 * b) for b in bounds)
    return ChatRequest(
        messages=messages, json_schema=schema, n=n, temperature=temperature, seed=seed, max_tokens=budget
    )


def ner_prompt_text(
    labels: LabelSet,
    sentence: str,
    demos: Sequence[Tuple[str, Sequence[Mention]]] = (),
    form: str = "mentions",
    domain: str = "",
) -> str:
    """The same prompt as one plain string, for spacy-llm models that take text prompts."""
    parts = [ner_system(labels, form, domain=domain), ""]
    for text, ents in demos:
        parts += [f"Text: {text}", f"Answer: {render(ents, form)}", ""]
    parts += [f"Text: {sentence}", "Answer:"]
    return "\n".join(parts)


# A pool name on its own line: up to eight words (longer ones are dropped as implausible), quotes, comma.
POOL_ITEM_TOKENS = 32
# The longest pool name kept: the grammar closes a name at this length (a small model sometimes loops
# inside one string) and pools.plausible_name drops a name that reaches it (closed mid-word).
MAX_NAME_CHARS = 80


# The kinds of names the OTHER outlet's pool is asked for, a few a call (OntoNotes' name types in words):
# a definition as open as "any other name" leaves a small model to list people. The pool's type check
# moves a name that is one of the asked types to that type's pool.
NAME_KINDS = (
    "nationalities and religious or political groups",
    "events: wars, tournaments, festivals, storms",
    "products and brands",
    "titles of books, films and songs",
    "laws, treaties and awards",
    "languages",
    "days, months and dates",
    "buildings, airports, bridges and stadiums",
    "countries, cities and regions",
    "companies, clubs and institutions",
    "people",
)
KINDS_PER_CALL = 4


def pool_request(labels: LabelSet, label: str, n: int, domain: str, seed: int) -> ChatRequest:
    others = ", ".join(f"{lab} ({labels[lab]})" for lab in labels if lab not in (label, OTHER))
    if label == OTHER:
        return _other_pool_request(others, n, domain, seed)
    user = (
        f"Entity type {label}: {labels[label]}\n"
        + (f"Text domain: {domain}\n" if domain else "")
        + (f"Not this type: {others}.\n" if others else "")
        + f"List {n} different {label} entities that fit the definition. Mix famous and little-known ones, from "
        "different countries, short and long, written as they appear in running text. Names only, no descriptions."
    )
    return _pool_chat(user, n, seed)


def _other_pool_request(asked: str, n: int, domain: str, seed: int) -> ChatRequest:
    """Names of kinds the asked types may not cover, a rotating few kinds a call (by `seed`)."""
    start = (seed % 1000) * KINDS_PER_CALL
    kinds = [NAME_KINDS[(start + i) % len(NAME_KINDS)] for i in range(KINDS_PER_CALL)]
    user = (
        (f"Text domain: {domain}\n" if domain else "")
        + f"Entity types: {asked}.\n"
        + f"List {n} different names of other kinds, a few of each kind: {'; '.join(kinds)}. Mix famous and "
        "little-known ones, from different countries, written as they appear in running text. Names only, no "
        "descriptions."
    )
    return _pool_chat(user, n, seed)


def _pool_chat(user: str, n: int, seed: int) -> ChatRequest:
    """A pool request: n names at most (the grammar closes the list and each name), sampled at T=1."""
    return ChatRequest(
        messages=[{"role": "user", "content": user}],
        json_schema=string_list_schema("entities", n, max_chars=MAX_NAME_CHARS),
        temperature=1.0,
        seed=seed,
        max_tokens=32 + n * POOL_ITEM_TOKENS,
    )


def typecheck_schema(labels: LabelSet, names: Sequence[str]) -> Dict[str, Any]:
    """One key per name, each required and valued with a type or NONE: the grammar makes the model answer
    every name, in order, under its own spelling (a list of {"text", "label"} items let the small model
    write the type into "text", skip names or respell them, and left most names unanswered)."""
    verdict = {"type": "string", "enum": [*labels, "NONE"]}
    return closed_object({name: verdict for name in names})


def typecheck_request(labels: LabelSet, names: Sequence[str], text: str = "") -> ChatRequest:
    """Budget: each verdict pretty-printed with the name and the longest label, so none is cut off.
    `text`: the sentence the names were found in (the kind check), so each is typed as that text uses it."""
    where = f"Text: {text}\n\n" if text else ""
    ask = "the type each of these entries has in the text" if text else "the type of each of these entries"
    user = (
        f"{where}Entity types:\n{labels.describe()}\n- NONE: none of these types\n\n"
        f"Give {ask}, as a JSON object from entry to type:\n" + "\n".join(f"- {name}" for name in names)
    )
    longest = max([*labels, "NONE"], key=len)
    return ChatRequest(
        messages=[{"role": "user", "content": user}],
        json_schema=typecheck_schema(labels, names),
        temperature=0.0,
        max_tokens=32 + sum(item_budget(name, longest) for name in names),
    )


def expansion_max_chars(feature: str) -> int:
    """The longest expansion sentence the grammar lets through: three times the feature and a few words
    (expand.length_fits allows as much). A sentence this long was closed by the grammar mid-word: the
    build drops it as cut off."""
    return 3 * len(feature) + 40


def expansion_request(
    labels: LabelSet, feature: str, entities: Sequence[Mention], seed: int, domain: Optional[str] = None
) -> ChatRequest:
    """Reverse expansion: a new sentence shaped like `feature` that holds exactly `entities`.

    Budget: the sentence at up to three times the feature's length (the schema bounds its characters
    likewise, a few words' slack for short features, as expand.length_fits does), its entities
    pretty-printed, and room for two more than asked (the schema bounds the list too, so a looping answer
    closes early)."""
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
        "Write one new sentence about something else with the same form as the model sentence: about "
        f"{len(feature.split())} words (no more than {word_range(feature)[1]}), the same punctuation and casing "
        "(if it is a headline, a table or score line, a dateline, a list or a query, write one of those too). "
        f"{must}\n"
        "Answer in compact JSON with the sentence and its entities."
    )
    if domain:
        user = f"Text domain: {domain}\n" + user
    longest = max(labels, key=len)
    names = [text for text, _ in entities] + [longest, longest]
    max_chars = expansion_max_chars(feature)
    return ChatRequest(
        messages=[{"role": "user", "content": user}],
        json_schema=entity_schema(labels, sentence=True, max_items=len(entities) + 2, max_chars=max_chars),
        temperature=0.8,
        seed=seed,
        max_tokens=48 + text_tokens("x" * max_chars) + sum(item_budget(name, longest) for name in names),
    )


def expansion_retry(request: ChatRequest, answer: str, missing: Sequence[Mention]) -> ChatRequest:
    """Ask once more when an expansion's entities are not in its sentence as written (a title shortened,
    a name reworded): the same conversation, the answer, and what is wrong with it."""
    wanted = "\n".join(f'- "{text}" ({label})' for text, label in missing)
    fix = (
        f"These entities do not occur in your sentence exactly as written:\n{wanted}\n"
        "Write the sentence again so that it contains each of its entities copied verbatim (same words, "
        "spelling and casing), and answer in compact JSON with the sentence and its entities."
    )
    messages = [*request.messages, {"role": "assistant", "content": answer}, {"role": "user", "content": fix}]
    return replace(request, messages=messages, temperature=0.0)
