"""What the cursor's position means for completion: the contract between context and generation."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    NONE = "none"  # inside a comment, string, char or text block, or outside any class: no completion
    MEMBER = "member"  # class body, where a field or method declaration starts
    STATEMENT = "statement"  # start of a statement in a method/constructor/initializer body
    MID_STATEMENT = "mid_statement"  # inside a statement: complete the rest of the line
    MEMBER_ACCESS = "member_access"  # right after a `.`
    BLOCK_BODY = "block_body"  # right after a `{` that opens an empty method/constructor/block body


class StopRule(str, Enum):
    LINE = "line"  # end at the first newline where the completion's own brackets are balanced
    BLOCK = "block"  # end at the `}` that closes the enclosing block (that brace is not part of the text)


@dataclass(frozen=True)
class CursorContext:
    kind: Kind
    offset: int  # cursor position as a character offset into the document
    prefix: str  # text before the cursor given to the model (a window ending at the cursor)
    suffix: str  # the document's text after the cursor
    indent: str  # indentation of the line being completed (for BLOCK_BODY: one level inside the block)
    stop: StopRule
    close_block: bool = False  # BLOCK: the document lacks the block's closing `}`, so the completion adds it
    nested: bool = False  # BLOCK: a block inside a body (if/for/lambda/...), not a method's own body
    reason: str = ""  # why there is no completion, when kind is NONE

    @property
    def completes(self) -> bool:
        return self.kind is not Kind.NONE
