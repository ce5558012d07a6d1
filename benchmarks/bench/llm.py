"""The LLM-layer benchmark: what the layer costs on top of raw xllamacpp, and what caching buys.

Three measurements on the embedded model, printed as a table and written as JSON:
1. generated tokens/s through ChatModel vs. raw `Server.handle_chat_completions`
   on the same prompts (prompt prefixes warmed first, order alternated), and the
   ratio raw/layer (the layer's overhead; goal <= 1.03);
2. latency of an answer-cache hit;
3. a shared instruction prefix: prompt tokens llama.cpp serves from its prefix
   cache, and the seconds per call, against the same calls with distinct prefixes.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from spacy_progner.llm import ChatModel, ChatRequest, ResponseCache
from spacy_progner.llm.local import LocalGGUFTransport

TOPICS = ["lighthouses", "sourdough bread", "glaciers", "chess openings", "bicycle repair", "honey bees"]
PREFIX_RULES = "\n".join(
    f"Rule {i}: mark every {kind} mention exactly as written, keep its casing, never invent text, "
    f"and skip {skip} that are not names."
    for i, (kind, skip) in enumerate(
        [
            ("person", "pronouns"),
            ("company", "products"),
            ("city", "directions"),
            ("country", "adjectives"),
            ("river", "lakes"),
            ("mountain", "ranges"),
            ("university", "degrees"),
            ("newspaper", "slogans"),
            ("band", "songs"),
            ("ship", "ports"),
            ("team", "sports"),
            ("ministry", "titles"),
        ]
        * 3,
        1,
    )
)
SUFFIXES = [
    "Anna Berg moved to Oslo.",
    "Kato Ltd opened in Kyoto.",
    "The Rhine floods Basel.",
    "Ivo met Lena at Tartu University.",
    "Nordic Air cut flights to Reykjavik.",
    "The Daily Ledger praised Tom Reyes.",
]


def _gen_request(topic: str) -> ChatRequest:
    return ChatRequest(
        messages=[{"role": "user", "content": f"Write a long, detailed essay about {topic}."}],
        max_tokens=64,
        temperature=0.0,
        seed=7,
    )


def bench_overhead(transport: LocalGGUFTransport, repeats: int) -> Dict[str, float]:
    layer = ChatModel(transport, cache=None)
    server = transport.server
    requests = [_gen_request(t) for t in TOPICS]
    for req in requests:  # warm the prompt prefix cache so both paths pay the same prompt cost
        server.handle_chat_completions(ChatRequest(messages=req.messages, max_tokens=1).to_openai())
    totals = {"raw": [0, 0.0], "layer": [0, 0.0]}

    def run_raw(req: ChatRequest) -> None:
        start = time.perf_counter()
        data = server.handle_chat_completions(req.to_openai())
        totals["raw"][1] += time.perf_counter() - start
        totals["raw"][0] += data["usage"]["completion_tokens"]

    def run_layer(req: ChatRequest) -> None:
        start = time.perf_counter()
        result = layer.chat(req)
        totals["layer"][1] += time.perf_counter() - start
        totals["layer"][0] += result.usage.completion_tokens

    for r in range(repeats):
        for i, req in enumerate(requests):
            order = (run_raw, run_layer) if (r + i) % 2 == 0 else (run_layer, run_raw)
            for fn in order:
                fn(req)
    raw_tps = totals["raw"][0] / totals["raw"][1]
    layer_tps = totals["layer"][0] / totals["layer"][1]
    return {
        "calls_per_path": repeats * len(requests),
        "raw_tokens": totals["raw"][0],
        "raw_seconds": round(totals["raw"][1], 2),
        "raw_tokens_per_s": round(raw_tps, 2),
        "layer_tokens": totals["layer"][0],
        "layer_seconds": round(totals["layer"][1], 2),
        "layer_tokens_per_s": round(layer_tps, 2),
        "overhead_ratio": round(raw_tps / layer_tps, 4),
    }


def bench_cache_hit(transport: LocalGGUFTransport, hits: int) -> Dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        model = ChatModel(transport, cache=ResponseCache(Path(tmp) / "cache.sqlite"))
        req = ChatRequest(messages=[{"role": "user", "content": "Name one river in Europe."}], max_tokens=16)
        start = time.perf_counter()
        model.chat(req)
        miss = time.perf_counter() - start
        times = []
        for _ in range(hits):
            start = time.perf_counter()
            model.chat(req)
            times.append(time.perf_counter() - start)
        if model.cache is not None:
            model.cache.close()
    times.sort()
    return {
        "miss_ms": round(miss * 1000, 1),
        "hits": hits,
        "hit_mean_ms": round(statistics.mean(times) * 1000, 3),
        "hit_p95_ms": round(times[int(0.95 * (len(times) - 1))] * 1000, 3),
    }


def bench_prefix(transport: LocalGGUFTransport) -> Dict[str, Dict[str, float]]:
    model = ChatModel(transport, cache=None)
    out = {}
    for name, shared in (("distinct_prefix", False), ("shared_prefix", True)):
        rows = []
        for i, suffix in enumerate(SUFFIXES):
            head = "" if shared else f"Task variant {i * 7919 % 1000}. "
            req = ChatRequest(
                messages=[{"role": "system", "content": head + PREFIX_RULES}, {"role": "user", "content": suffix}],
                max_tokens=8,
                seed=len(name),
            )
            result = model.chat(req)
            rows.append(result.usage)
        tail = rows[1:]  # the first call of each series pays the full prompt in both cases
        out[name] = {
            "calls": len(tail),
            "prompt_tokens_mean": round(statistics.mean(u.prompt_tokens for u in tail), 1),
            "cached_tokens_mean": round(statistics.mean(u.cached_tokens for u in tail), 1),
            "seconds_mean": round(statistics.mean(u.seconds for u in tail), 3),
        }
    return out


def run(model_path: Optional[str], repeats: int, hits: int) -> Tuple[Dict[str, Any], List[tuple]]:
    """All three measurements on one loaded model: the JSON result and the table's rows."""
    transport = LocalGGUFTransport(model_path=model_path, n_parallel=1)
    start = time.perf_counter()
    _ = transport.server  # load once, outside the timings
    load_s = time.perf_counter() - start
    overhead = bench_overhead(transport, repeats)
    cache = bench_cache_hit(transport, hits)
    prefix = bench_prefix(transport)
    result = {
        "model": transport.identity(),
        "n_threads": transport.n_threads,
        "load_seconds": round(load_s, 2),
        "overhead": overhead,
        "cache_hit": cache,
        "prefix": prefix,
    }
    rows: List[tuple] = [
        ("generated tok/s, raw xllamacpp", overhead["raw_tokens_per_s"]),
        ("generated tok/s, through ChatModel", overhead["layer_tokens_per_s"]),
        ("overhead ratio raw/layer (goal <= 1.03)", overhead["overhead_ratio"]),
        ("cache miss (ms)", cache["miss_ms"]),
        ("cache hit mean / p95 (ms)", f"{cache['hit_mean_ms']} / {cache['hit_p95_ms']}"),
    ]
    for name, row in prefix.items():
        rows.append((f"{name}: prompt / cached tokens", f"{row['prompt_tokens_mean']} / {row['cached_tokens_mean']}"))
        rows.append((f"{name}: seconds per call", row["seconds_mean"]))
    return result, rows
