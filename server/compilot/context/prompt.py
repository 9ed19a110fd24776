"""The model's prompt: a file context that changes little, then the enclosing member from its start to the cursor.

Prefilling a prompt costs ~3 ms per token on a 2-core CPU, so the prompt is shaped to be reused. The file
context is the package, the imports and the top-level class with every member's body elided (`{ ... }`) and
comments dropped, members below the cursor included; the member at the cursor is left out of it (it follows
whole, and a second, elided copy of it cost offers: docs/benchmarks.md). So a keystroke adds only its own
tokens, and a jump inside the file reuses the file context up to the first of the two members (what didOpen
prefilled, up to the member jumped to).

The `window` style is the earlier prompt, kept for comparison: the last `budget` characters before the cursor.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from compilot.context.indent import line_start
from compilot.context.scopes import Scope, ScopeKind, resolve, track
from compilot.context.window import window_start
from compilot.lexer import structure

OUTLINE, WINDOW = "outline", "window"
STYLES = (OUTLINE, WINDOW)
ELIDED = " ... "
_LONG_INITIALIZER = 120  # a class-level array initializer longer than this is elided like a body


@dataclass(frozen=True)
class Outline:
    """Where a document's member bodies are, found once per text (an edit inside a body moves none before it)."""

    elided: list[tuple[int, int]]  # (start, end) of each elided span: a body's inside, sorted
    comments: list[tuple[int, int]]  # (start, end) of each comment
    closes: dict[int, int]  # offset of a class-level `{` (a type's, a member body's) -> offset of its `}`


def outline_of(text: str) -> Outline:
    """Member bodies, comments and type ends of the whole text (one structural pass, headers only tokenized)."""
    comments: list[tuple[int, int]] = []
    items, _ = structure(text, len(text), comments)
    elided: list[tuple[int, int]] = []
    closes: dict[int, int] = {}
    in_class: dict[int, bool] = {}

    def on_close(scope: Scope, close: int) -> None:
        if not _in_class_body(text, scope, in_class):
            return
        resolve(text, scope)
        closes[scope.brace] = close
        if scope.kind in (ScopeKind.METHOD, ScopeKind.INITIALIZER) or (
            scope.kind is ScopeKind.ARRAY and close - scope.brace > _LONG_INITIALIZER
        ):
            elided.append((scope.brace + 1, close))

    track(text, items, on_close)
    elided.sort()
    return Outline(elided, comments, closes)


def _in_class_body(text: str, scope: Scope, memo: dict[int, bool]) -> bool:
    """Whether `scope` opens directly in a class body or at the file's level (a member or a type, not a
    block inside a body); only such scopes are resolved, so the braces inside bodies cost no tokenizing.
    `memo` maps a scope's `{` to whether what opens directly inside it does (iterative: nesting is unbounded)."""
    if scope.outer is None:
        return False
    chain, outer = [], scope.outer
    while outer.outer is not None and outer.brace not in memo:
        chain.append(outer)
        outer = outer.outer
    known = True if outer.outer is None else memo[outer.brace]
    for s in reversed(chain):  # outermost first, so `resolve` finds its outer resolved
        if known:
            resolve(text, s)
            known = s.kind is ScopeKind.CLASS
        memo[s.brace] = known
    return known


def build_prompt(text: str, offset: int, stack: list[Scope], budget: int, style: str = WINDOW) -> str:
    """The prompt for a cursor at `offset` whose open scopes (outermost first) are `stack`."""
    top = next((k for k, s in enumerate(stack) if s.kind is ScopeKind.CLASS), None)
    if style == WINDOW or top is None:
        return text[window_start(text, offset, budget, stack) : offset]
    inner = max(k for k, s in enumerate(stack) if s.kind is ScopeKind.CLASS)
    outline = outline_of(text)
    start = member_start(text, offset, stack, inner)
    skip = None
    if inner + 1 < len(stack) and stack[inner + 1].brace in outline.closes:
        skip = (start, _line_after(text, outline.closes[stack[inner + 1].brace], len(text)))
    head = file_context(text, stack[top], outline, budget, start, skip)
    reopened = "".join(_header(text, s) for s in stack[top + 1 : inner + 1])
    return head + reopened + member_text(text, start, offset, stack, inner, budget // 2)


def document_prompt(text: str, budget: int) -> str:
    """The file context of the document's first type: what a request anywhere in it starts with (didOpen)."""
    outline = outline_of(text)
    types = [b for b in outline.closes if text[b] == "{"]
    if not types:
        return ""
    brace = min(types)
    items, _ = structure(text, brace + 1)
    state = track(text, items)
    if state.innermost.kind is not ScopeKind.CLASS:
        return ""
    return file_context(text, state.innermost, outline, budget, len(text))


def file_context(
    text: str,
    top: Scope,
    outline: Outline,
    budget: int,
    unclosed_end: int,
    skip: tuple[int, int] | None = None,
) -> str:
    """Everything before the cursor's top-level type, then that type, bodies elided, left open at its end
    (at `unclosed_end` when the type has no `}`: its text after that is the unclosed member's own), without
    the `skip` span (the member at the cursor, which follows in full)."""
    end = outline.closes.get(top.brace, unclosed_end)
    head_end = line_start(text, top.header)
    head = _squeeze(_render(text, 0, head_end, outline))
    body = _squeeze(_render(text, head_end, end, outline, skip))
    head = _keep_start(head, budget // 4)
    return head + _keep_start(body, budget - len(head))


def member_start(text: str, offset: int, stack: list[Scope], inner: int) -> int:
    """Where the member holding the cursor starts: the first non-blank line after the previous member (its
    javadoc and annotations included); for a cursor between members, the line after the last one."""
    if inner + 1 < len(stack):
        member = stack[inner + 1]
        start = _line_after(text, member.mark, line_start(text, member.header))
    else:
        scope = stack[inner]
        start = _line_after(text, max(scope.stmt_mark, scope.brace), line_start(text, offset))
    return _skip_blank_lines(text, start, line_start(text, offset))


def member_text(text: str, start: int, offset: int, stack: list[Scope], inner: int, budget: int) -> str:
    """The member's text from `start` to the cursor; a long one keeps its first line and a tail whose start
    moves in steps of half the budget, so the keystrokes that follow still share it."""
    if budget <= 0:
        return ""
    if offset - start <= budget:
        return text[start:offset]
    step = max(1, budget // 2)
    cut = start + -(-(offset - budget - start) // step) * step
    if text[cut - 1] != "\n":
        aligned = _line_after(text, cut - 1, line_start(text, offset))
        cut = aligned if offset - aligned <= budget else cut  # the cursor's line alone is too long: cut it
    if inner + 1 >= len(stack):
        return text[cut:offset]
    header = stack[inner + 1].header
    first_line_end = text.find("\n", header, offset)
    if first_line_end < 0 or cut <= first_line_end:
        return text[cut:offset]
    return text[line_start(text, header) : first_line_end + 1] + text[cut:offset]


def _header(text: str, scope: Scope) -> str:
    """A scope's header line(s) up to its `{`, to reopen a nested type or a body on the way to the cursor."""
    return text[line_start(text, scope.header) : scope.brace + 1] + "\n"


def _render(text: str, start: int, end: int, outline: Outline, skip: tuple[int, int] | None = None) -> str:
    """text[start:end] without its comments and the `skip` span, with its member bodies elided."""
    cuts = [(a, b, ELIDED) for a, b in outline.elided if start <= a and b <= end]
    if skip is not None:
        cuts.append((skip[0], skip[1], ""))
    cuts += [(a, b, "") for a, b in outline.comments if start <= a < end and not _inside(a, outline.elided)]
    cuts.sort()
    parts, pos = [], start
    for a, b, replacement in cuts:
        if a < pos:
            continue  # inside an earlier cut
        parts += [text[pos:a], replacement]
        pos = b
    parts.append(text[pos:end])
    return "".join(parts)


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    k = bisect_left(spans, (pos + 1, -1)) - 1
    return k >= 0 and spans[k][0] <= pos < spans[k][1]


def _squeeze(text: str) -> str:
    """Trailing spaces dropped, runs of blank lines (comment removal leaves many) made one, so the text reads
    as it was written; it ends with a newline (and one blank line if it ended with blank lines)."""
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()  # the empty string after the final newline is not a line
    kept: list[str] = []
    for line in lines:
        line = line.rstrip()
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept) + "\n" if kept else ""


def _keep_start(text: str, budget: int) -> str:
    """The lines of `text` that fit in `budget` characters: a type's header and fields come first."""
    if len(text) <= budget:
        return text
    cut = text.rfind("\n", 0, budget)
    return text[: cut + 1] if cut >= 0 else ""


def _line_after(text: str, pos: int, limit: int) -> int:
    """Start of the line after the one holding `pos`, at most `limit`."""
    newline = text.find("\n", max(pos, 0), limit)
    return limit if newline < 0 else newline + 1


def _skip_blank_lines(text: str, start: int, limit: int) -> int:
    while start < limit:
        newline = text.find("\n", start, limit)
        if newline < 0 or text[start:newline].strip():
            break
        start = newline + 1
    return start
