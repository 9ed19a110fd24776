"""A key/value cache that grows into spare room instead of by `torch.cat`.

transformers' `DynamicLayer` concatenates every step's keys and values onto the whole cache: for a 900-token
prompt that is ~41 MB copied per decode step across the 30 layers, ~10 ms of a ~65 ms step on a 2-core CPU.
`RoomyLayer` keeps each layer in a buffer with room for `GROW` more tokens and writes new ones in place; the
keys and values it returns are the same numbers (views of the buffer), so the tokens do not change. Anything
that replaces the tensors (cropping keeps them as views; repeating or selecting rows does not) makes the next
update move them into a new buffer once.
"""

from __future__ import annotations

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

GROW = 256  # tokens of spare room a buffer gets when it is (re)allocated


class RoomyLayer(DynamicLayer):
    _buffers: tuple[torch.Tensor, torch.Tensor] | None = None

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        old = self.keys.shape[-2] if self.keys.dim() == 4 else 0  # (batch, heads, tokens, head_dim)
        new = old + key_states.shape[-2]
        if not self._fits(key_states, new):
            self._reallocate(key_states, value_states, old, new + GROW)
        keys, values = self._buffers
        keys[:, :, old:new].copy_(key_states)
        values[:, :, old:new].copy_(value_states)
        self.keys, self.values = keys[:, :, :new], values[:, :, :new]
        return self.keys, self.values

    def _fits(self, key_states: torch.Tensor, new: int) -> bool:
        """Whether the cached keys are still the start of the buffer, with room for `new` tokens."""
        if self._buffers is None:
            return False
        keys = self._buffers[0]
        return (
            new <= keys.shape[-2]
            and keys.shape[0] == key_states.shape[0]
            and self.keys.data_ptr() == keys.data_ptr()
            and self.keys.stride() == keys.stride()
        )

    def _reallocate(self, key_states, value_states, old: int, room: int) -> None:
        batch, heads, _, dim = key_states.shape
        keys = key_states.new_empty((batch, heads, room, dim))
        values = value_states.new_empty((batch, heads, room, value_states.shape[-1]))
        if old:
            keys[:, :, :old].copy_(self.keys)
            values[:, :, :old].copy_(self.values)
        self._buffers = (keys, values)


class RoomyCache(DynamicCache):
    """A `DynamicCache` whose layers are `RoomyLayer`s."""

    def __init__(self) -> None:
        super().__init__()
        self.layer_class_to_replicate = RoomyLayer
