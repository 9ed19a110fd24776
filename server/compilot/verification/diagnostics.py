"""javac's diagnostics as plain data, shared by the checker, the engine and the language server."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Diagnostic:
    kind: str  # "ERROR", "WARNING", "MANDATORY_WARNING", "NOTE", "OTHER"
    code: str  # javac's key, e.g. "compiler.err.cant.resolve.location"
    message: str
    line: int  # 1-based, as javac reports; 0 when javac gives no position
    column: int  # 1-based
    start: int  # character offsets into the checked source; -1 when unknown
    end: int

    @property
    def is_error(self) -> bool:
        return self.kind == "ERROR"
