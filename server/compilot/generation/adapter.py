"""A LoRA adapter from `compilot train` on top of the model: the `adapter` setting.

The folder holds the adapter as peft saves it (`adapter_config.json`, `adapter_model.safetensors`), which torch
merges into the weights at load (no per-token cost afterwards), and the same adapter as a GGUF LoRA file
(`adapter.gguf`) for llama.cpp, which applies it on top of the quantized model it ships.
"""

from __future__ import annotations

from pathlib import Path

from compilot.generation.backend import ModelLoadError

PEFT_FILES = ("adapter_config.json", "adapter_model.safetensors")
GGUF_FILE = "adapter.gguf"


def adapter_folder(path: str) -> Path:
    """The adapter folder the setting names, checked; ModelLoadError with what is wrong."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise ModelLoadError(f"adapter {path!r} is not a folder: set it to the folder `compilot train` wrote")
    missing = [name for name in PEFT_FILES if not (folder / name).is_file()]
    if missing:
        raise ModelLoadError(
            f"adapter {path!r} lacks {', '.join(missing)}: not a folder `compilot train` wrote"
        )
    return folder


def adapter_gguf(path: str) -> Path:
    """The adapter's GGUF file, for llama.cpp."""
    gguf = adapter_folder(path) / GGUF_FILE
    if not gguf.is_file():
        raise ModelLoadError(f"adapter {path!r} has no {GGUF_FILE} for llama.cpp: use backend torch")
    return gguf


def merge_adapter(model, path: str):
    """`model` with the adapter's weights merged in (a plain model again: inference costs what it did)."""
    folder = adapter_folder(path)
    try:
        from peft import PeftModel
    except ImportError as e:
        raise ModelLoadError("the adapter setting needs peft with backend torch: `pip install peft`") from e
    try:
        return PeftModel.from_pretrained(model, str(folder)).merge_and_unload()
    except Exception as e:  # an adapter for another model (shapes differ), a corrupt file
        raise ModelLoadError(f"could not apply adapter {path!r}: {e}") from e
