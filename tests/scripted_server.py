"""The real language server with a scripted backend instead of a model: the fast protocol tests' server.

Everything but generation is real (the protocol layer, the engine's rounds, ranking, javac verification).
The backend answers a request with the candidates of the last `// script: [...]` comment in its prompt (a
JSON list of strings, best first; put it on the line above the cursor), so a test decides what the "model"
writes and checks what the server makes of it. No comment: no candidates.
Run: python tests/scripted_server.py (stdio).
"""

from __future__ import annotations

import json
import sys
import threading

from compilot.context.types import StopRule
from compilot.engine import Engine
from compilot.generation.backend import Cancelled, Sample, SamplingConfig
from compilot.lsp.server import main

SCRIPT = "// script: "


class ScriptedBackend:
    """Returns the prompt's scripted candidates, up to `config.samples`."""

    name = "scripted"

    def sample(
        self,
        prompt: str,
        rule: StopRule,
        config: SamplingConfig,
        cancel: threading.Event | None = None,
        key: str = "",
    ) -> list[Sample]:
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        marker = prompt.rfind(SCRIPT)
        line = prompt[marker + len(SCRIPT) :].split("\n", 1)[0] if marker >= 0 else "[]"
        texts = json.loads(line)[: config.samples]
        return [Sample(text, [], -0.1 * (i + 1), "stop") for i, text in enumerate(texts)]

    def prefill(self, prompt: str, key: str = "", cancel: threading.Event | None = None) -> None:
        pass

    def forget(self, key: str) -> None:
        pass

    def close(self) -> None:
        pass


def scripted_engine(settings, workspace) -> Engine:
    return Engine(settings, workspace, backend=ScriptedBackend())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], engine_factory=scripted_engine))
