"""The trained adapter as llama.cpp takes it: a GGUF LoRA file next to peft's own files.

llama.cpp names a Llama model's tensors its own way (`blk.3.attn_v.weight`); gguf's tensor name map gives the
name of each Hugging Face module, and each adapted module's A and B matrices are written under it with
`.lora_a` / `.lora_b`, with the LoRA alpha in the header (llama.cpp scales by alpha / rank as peft does). The
adapter never targets q_proj and k_proj: llama.cpp's converter permutes those weights' rows for its rotary
layout, and an adapter on them would need the same permutation.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from compilot.generation.adapter import GGUF_FILE, PEFT_FILES

_LORA_NAME = re.compile(r"^base_model\.model\.(?P<module>.+)\.lora_(?P<part>[AB])\.weight$")


def write_gguf_lora(adapter: Path, n_layers: int) -> Path:
    """Write `adapter`/adapter.gguf from the peft files there; returns its path."""
    import gguf
    from safetensors.torch import load_file

    config = json.loads((adapter / PEFT_FILES[0]).read_text(encoding="utf-8"))
    tensors = load_file(str(adapter / PEFT_FILES[1]))
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, n_layers)
    out = adapter / GGUF_FILE
    writer = gguf.GGUFWriter(str(out), gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.LLAMA])
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(config["lora_alpha"]))
    for name in sorted(tensors):
        m = _LORA_NAME.match(name)
        if m is None:
            raise ValueError(f"{name}: not a LoRA A or B matrix; llama.cpp could not use this adapter")
        target = names.get_name(m["module"] + ".weight", try_suffixes=(".weight",))
        if target is None:
            raise ValueError(f"{m['module']}: no llama.cpp tensor of that name")
        writer.add_tensor(f"{target}.lora_{m['part'].lower()}", tensors[name].float().numpy())
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out
