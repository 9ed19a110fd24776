"""Work ahead in the language server: the didOpen prefill yields to a request and, once the request has
prefilled the prompt at its own cursor, does not come back to overwrite it (a document has one cache slot),
while an edit's prefill still runs."""

from __future__ import annotations

import asyncio
import threading
import time
from types import SimpleNamespace

from lsprotocol import types

from compilot.candidate import Candidate
from compilot.context import classify
from compilot.engine import CompletionResult
from compilot.generation.backend import Cancelled
from compilot.lsp.completions import Completions
from compilot.lsp.documents import Documents
from compilot.lsp.worker import Worker

TEXT = "class A {\n    int f() {\n        \n    }\n}\n"
URI = "file:///A.java"
PIECES = 10  # of the document's prompt


class PieceEngine:
    """Stands in for the engine: `prime` reads its prompt in pieces and stops between two when preempted (as
    the llama.cpp backend does); `complete` answers at once. `log` says what ran, in order."""

    def __init__(self, pieces: int = PIECES, piece_s: float = 0.02) -> None:
        self.pieces, self.piece_s = pieces, piece_s
        self.log: list[str] = []  # "prime" per piece read, "request" per completion
        self._read: dict[int | None, int] = {}  # prime's offset -> pieces read so far

    def prime(self, text: str, offset: int | None, key: str = "", cancel: threading.Event | None = None):
        while self._read.get(offset, 0) < self.pieces:
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            time.sleep(self.piece_s)
            self._read[offset] = self._read.get(offset, 0) + 1
            self.log.append("prime")

    def complete(self, text, offset, filename, cancel, key=None, line_seconds=None) -> CompletionResult:
        self.log.append("request")
        return CompletionResult(classify(text, offset), [Candidate("x", 0.0, "stop", "pass")], [], True)


async def settle(engine: PieceEngine) -> None:
    """Long enough for a prefill that was going to resume to read all its pieces."""
    await asyncio.sleep(engine.pieces * engine.piece_s * 4)


async def request(completions: Completions) -> list[str]:
    params = types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=URI),
        position=types.Position(line=2, character=8),
        context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic),
    )
    return [item.insert_text for item in (await completions.inline(params)).items]


def run(scenario) -> list[str]:
    """The engine's log after `scenario(completions, engine, doc)` on a freshly opened document."""
    engine = PieceEngine()
    app = SimpleNamespace(
        docs=Documents(),
        state="ready",
        engine=engine,
        worker=Worker(),
        settings=SimpleNamespace(block_seconds=5.0, verify=True),
        show=lambda *a, **k: None,
        set_status=lambda *a, **k: None,
    )

    async def main() -> None:
        completions = Completions(app)
        doc = app.docs.open(types.TextDocumentItem(uri=URI, language_id="java", version=1, text=TEXT))
        completions.schedule_prime(doc, 0)
        while "prime" not in engine.log:  # the request comes while the open prefill is under way
            await asyncio.sleep(0.005)
        await scenario(completions, engine, doc)
        app.worker.shutdown()

    asyncio.run(main())
    return engine.log


def test_the_open_prefill_does_not_resume_after_a_request_prefilled_its_own_prompt():
    async def scenario(completions, engine, doc):
        assert await request(completions) == ["x"]
        await settle(engine)

    log = run(scenario)
    assert "request" in log and 0 < log.index("request") < PIECES  # it was preempted
    assert "prime" not in log[log.index("request") :]  # and it stayed stopped


def test_an_edit_after_the_request_is_prefilled_again():
    async def scenario(completions, engine, doc):
        assert await request(completions) == ["x"]
        doc.text, doc.version, doc.edited_at = TEXT.replace("        \n", "        r\n"), 2, 29
        completions.schedule_prime(doc, 0)
        await settle(engine)

    log = run(scenario)
    assert log[log.index("request") + 1 :] == ["prime"] * PIECES
