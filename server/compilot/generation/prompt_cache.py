"""Key/value caches of recent prompts, one per open document, prefilled in preemptible chunks.

A jump inside a file shares the file context with the last request there, a keystroke shares all but its own
tokens; prefilling them again costs ~3 ms per token on a 2-core CPU. Each document keeps the cache of its
latest prompt; the least recently used ones go first when the total passes `max_tokens` (SmolLM2-135M holds
~46 KB per token). Prefill runs in chunks so that a cancelled request or a preempted background job stops
between two of them; what was computed stays cached for the next try.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from transformers import DynamicCache

from compilot.generation.backend import Cancelled
from compilot.generation.kv_cache import RoomyCache

# A request waits for at most one background chunk (~0.7 s at 256 tokens here). Smaller chunks cost more: a
# chunk after cached tokens needs an explicit attention mask and smaller matmuls; measured on 900 tokens,
# 128-token chunks made prefill ~60% slower than one forward, 256-token chunks ~35%.
CHUNK_TOKENS = 256
MAX_TOKENS = 8192


@dataclass
class Entry:
    ids: list[int] = field(default_factory=list)  # the prompt tokens the cache holds
    cache: DynamicCache = field(default_factory=RoomyCache)
    logits: torch.Tensor | None = None  # (1, vocab) next-token logits after `ids`; None when not computed


Forward = Callable[[list[int], DynamicCache], torch.Tensor]  # T more ids -> (1, vocab) logits after them


class PromptCache:
    def __init__(self, forward: Forward, max_tokens: int = MAX_TOKENS, chunk: int = CHUNK_TOKENS) -> None:
        self.forward = forward
        self.max_tokens = max_tokens
        self.chunk = chunk
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self.reused_tokens = 0  # prompt tokens the last `prefill` found cached

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def cached_ids(self, key: str) -> list[int]:
        entry = self._entries.get(key)
        return list(entry.ids) if entry is not None else []

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    @torch.inference_mode()
    def prefill(
        self, key: str, ids: list[int], cancel: threading.Event | None = None
    ) -> tuple[DynamicCache, torch.Tensor]:
        """A private copy of the cache for `ids` and the logits after them, computing only the tokens the
        document's entry does not hold. Raises Cancelled between chunks; the chunks done stay cached. A chunk
        under way is finished: the next request (the keystroke after a cancelled one) mostly wants it."""
        if not ids:
            raise ValueError("an empty prompt has no next-token logits")
        entry = self._entries.pop(key, None) or Entry()
        self._entries[key] = entry  # most recently used last
        common = _common_prefix(entry.ids, ids)
        if common == len(ids) == len(entry.ids) and entry.logits is not None:
            self.reused_tokens = common
            return copy.deepcopy(entry.cache), entry.logits
        common = min(common, len(ids) - 1)  # at least one token is fed, for its logits
        if common < len(entry.ids):
            if common == 0:
                entry.cache = RoomyCache()
            else:
                entry.cache.crop(common - len(entry.ids))  # transformers 5 takes the tokens to drop
            entry.ids, entry.logits = entry.ids[:common], None
        self.reused_tokens = common
        for start in range(common, len(ids), self.chunk):
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            piece = ids[start : start + self.chunk]
            entry.logits = self.forward(piece, entry.cache)
            entry.ids = entry.ids + piece
            self._evict(keep=key)
        return copy.deepcopy(entry.cache), entry.logits

    def _evict(self, keep: str) -> None:
        total = sum(len(e.ids) for e in self._entries.values())
        for key in list(self._entries):
            if total <= self.max_tokens:
                break
            if key != keep:
                total -= len(self._entries.pop(key).ids)


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
