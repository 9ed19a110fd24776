"""Backends that stream from an OpenAI-compatible `/v1/completions` endpoint: a team's inference server
(vLLM, llama.cpp's server, Ollama; `backend: openai`) and the in-process llama.cpp server (generation/llamacpp.py).

Prompts are read ahead as in process: after didOpen and each pause in typing the prompt is sent with one token
to decode (in pieces a cancel can stop between), so the server's prompt cache (vLLM's prefix caching, llama.cpp's
`cache_prompt`) holds it when the request comes; without that, a jump's request read the whole file's outline.

The guards cannot sit inside these samplers, so they act on the token stream: each row's text is cut by the stop
rule and the attractor stop as its tokens arrive, and the connection is closed (the server stops decoding) once
every row is done, the deadline passed, or the request was cancelled. The greedy row is a request of its own
(temperature 0); the sampled rows come from one request with `n` (the server prefills their prompt once), or
one request each where `max_n` says so: llama.cpp in process, and a server whose step over several rows was
measured to cost nearly a step per row (a CPU, as in process), where rows in one request all run to the
deadline while a row alone ends at its own end and the request at the first row that compiles.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import random
import threading
import time
from dataclasses import dataclass, field

from compilot.context.types import StopRule
from compilot.generation.backend import (
    BackendError,
    Cancelled,
    ModelLoadError,
    Sample,
    SamplingConfig,
    finish_text,
    gbnf_names,
    mean,
    split_heal,
)
from compilot.generation.guards import find_loop
from compilot.generation.http_stream import (
    Endpoint,
    HttpError,
    Stopped,
    error_message,
    get_json,
    post_json,
    sse_events,
)
from compilot.generation.stop_rule import stop_index

log = logging.getLogger(__name__)

API_KEY_ENV = "COMPILOT_API_KEY"  # the only place a key is read from: never settings files, never logs
RETRIES = 2  # more tries after a failed connection (not after a started stream), with backoff
BACKOFF_S = 0.25
PREFILL_CHARS = 600  # ~180 tokens a piece (a cancel waits for at most one piece, ~0.9 s on 2 cores)
TIMED_STEPS = 8  # a stream this many steps long or longer times the server's step


@dataclass
class _Row:
    """One candidate as its tokens arrive."""

    pieces: list[str] = field(default_factory=list)  # token texts
    ids: list[int] = field(default_factory=list)  # token ids, when the server sends them
    logprobs: list[float] = field(default_factory=list)
    finish: str = ""  # set once the row is done

    @property
    def text(self) -> str:
        return "".join(self.pieces)


class CompletionsBackend:
    """N candidates per prompt from a `/v1/completions` server, guards applied to the stream."""

    def __init__(
        self,
        name: str,
        endpoint: Endpoint,
        model: str,
        api_key: str = "",
        read_timeout: float = 30.0,
        llama_cpp: bool = False,
    ) -> None:
        """`llama_cpp`: the server is llama.cpp's, so its own fields are sent too: a GBNF grammar heals the
        prompt's indentation and holds rows to javac's names, and its samplers are set as torch's."""
        self.name = name
        self.endpoint = endpoint
        self.model = model
        self.read_timeout = read_timeout
        self.max_n: int | None = None  # most rows one request may ask for (None: all)
        self.llama_cpp = llama_cpp
        self.prefill_tokens = 0  # prompt tokens the server read in prefills (the rest it found cached)
        self.step_s: dict[int, float] = {}  # rows in one request -> seconds per decoding step, last measured
        self._held: dict = {}  # cache id -> the prompt text the server holds for it (as far as we know)
        self._headers = _auth_headers(api_key)

    def __repr__(self) -> str:  # never the key
        return f"CompletionsBackend({self.name}, {self.endpoint.url}, model={self.model!r})"

    # ----- the Backend interface -----

    @property
    def rows_one_by_one(self) -> bool:
        return self.max_n == 1

    @property
    def constrains_names(self) -> bool:
        """Only by llama.cpp's grammar: the OpenAI API has no such field."""
        return self.llama_cpp

    def sample(
        self,
        prompt: str,
        rule: StopRule,
        config: SamplingConfig,
        cancel: threading.Event | None = None,
        key: str = "",
    ) -> list[Sample]:
        body, heal = self._split(prompt)
        if not body.strip():
            return []
        self.prefill(prompt, key, cancel)  # llama.cpp: in pieces a cancel can stop between
        greedy = 1 if config.greedy_first or config.temperature == 0 else 0
        rows: list[_Row] = []
        if greedy:
            greedy_config = dataclasses.replace(config, temperature=0.0)
            rows += self._stream(body, heal, rule, greedy_config, 1, cancel, key)
        left = config.samples - greedy
        while left > 0:
            n = min(left, self.max_n or left)
            seed = None if config.seed is None else config.seed + len(rows)
            rows += self._stream(body, heal, rule, dataclasses.replace(config, seed=seed), n, cancel, key)
            left -= n
        return [self._sample(row, heal, rule, config) for row in rows]

    def prefill(self, prompt: str, key: str = "", cancel: threading.Event | None = None) -> None:
        """Have the server read `prompt` into its cache. A request the server is reading when cancelled loses
        its progress (llama.cpp), so a long prompt is sent in growing pieces cut at line ends, each one
        finished; a cancel stops between two. Pieces the server holds already are not sent again."""
        body, _ = split_heal(prompt)
        cache = self._cache_id(key)
        held = len(os.path.commonprefix([self._held.get(cache, ""), body]))
        for end in _piece_ends(body, PREFILL_CHARS):
            if end <= held:
                continue  # a shorter request would cut the server's copy back to it
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            try:
                for event in sse_events(self._post(self._prefill_request(body[:end], key), lambda: False)):
                    timings = event.get("timings") or {}  # llama.cpp's
                    self.prefill_tokens += timings.get("prompt_n", 0)
            except HttpError as e:
                raise BackendError(self._explain(e)) from e
            self._held[cache] = body[:end]

    def forget(self, key: str) -> None:
        self._held.pop(key, None)

    def close(self) -> None:
        pass

    # ----- requests -----

    def _split(self, prompt: str) -> tuple[str, str]:
        """(what to send, what the model must write first). With a grammar, the prompt's trailing whitespace
        is cut off and the first token made to start with it (token healing). Without one, cut off, the model
        went on with the line before; sent whole, it wrote a space or a blank line first, since byte-level BPE
        tokenizers (GPT-2's rule: Llama 3, Qwen, StarCoder, SmolLM) put a word's leading space in the word's
        token. So the last space of an indentation is cut off: the model writes it with the word."""
        if self.llama_cpp:
            return split_heal(prompt)
        if prompt.endswith(" ") and prompt.rstrip(" ").endswith("\n"):
            return prompt[:-1], " "
        return prompt, ""

    def _cache_id(self, key: str):
        """What the server's cached prompt for document `key` is known by (here: the document)."""
        return key

    def _prefill_request(self, prompt: str, key: str) -> dict:
        """A completion that reads `prompt` and decodes one token (vLLM refuses `max_tokens` 0)."""
        request = {"prompt": prompt, "max_tokens": 1, "temperature": 0.0, "stream": True}
        return request | ({"model": self.model} if self.model else {})

    def _request(self, body: str, heal: str, config: SamplingConfig, n: int, key: str) -> dict:
        """The OpenAI completions fields (and `top_k`, which vLLM, llama.cpp and Ollama take)."""
        request: dict = {
            "prompt": body,
            "max_tokens": config.max_new_tokens,
            "temperature": config.temperature,
            "n": n,
            "stream": True,
            "logprobs": 1,
        }
        if self.model:
            request["model"] = self.model
        if config.seed is not None:
            request["seed"] = config.seed
        if config.temperature > 0 and config.top_k > 0:
            request["top_k"] = config.top_k
        if self.llama_cpp:
            request |= llama_cpp_fields(config, heal)
        return request

    def _stream(
        self,
        body: str,
        heal: str,
        rule: StopRule,
        config: SamplingConfig,
        n: int,
        cancel: threading.Event | None,
        key: str = "",
    ) -> list[_Row]:
        """`n` rows from one streamed request, each cut as soon as it is done."""
        rows = [_Row() for _ in range(n)]
        deadline: float | None = None  # set at the first token
        first: float | None = None

        def should_stop() -> bool:
            """Cancelled, every row done, or past the deadline. The deadline counts from the first token: the
            server's prefill is not cut short (torch's is not either), and `min_decode` is left after it."""
            nonlocal deadline, first
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            if first is None and any(row.pieces for row in rows):
                first = time.monotonic()
                if config.deadline is not None:
                    deadline = max(config.deadline, first + config.min_decode)
            if deadline is not None and time.monotonic() > deadline:
                for row in rows:
                    row.finish = row.finish or "time"
            return all(row.finish for row in rows)

        request = self._request(body, heal, config, n, key)
        t0 = time.monotonic()
        try:
            for event in sse_events(self._post(request, should_stop)):
                if "error" in event:
                    raise BackendError(f"{self.endpoint.url}: {error_message(event['error'])}")
                if "timings" in event:  # llama.cpp's, with its last chunk
                    log.debug("%s: %s", self.name, event["timings"])
                for choice in event.get("choices", []):
                    index = choice.get("index", 0)
                    if 0 <= index < n and not rows[index].finish:
                        self._extend(rows[index], choice, config, rule)
        except Stopped:
            pass
        except HttpError as e:  # the server went away mid-answer
            raise BackendError(self._explain(e)) from e
        for row in rows:
            row.finish = row.finish or "length"
        if first is not None:
            self._time_steps(n, max(len(row.pieces) for row in rows), time.monotonic() - first)
        log.debug(
            "%s: %d row(s), %s tokens, %.0f ms, first token after %s ms",
            self.name,
            n,
            [len(r.pieces) for r in rows],
            1000 * (time.monotonic() - t0),
            "-" if first is None else f"{1000 * (first - t0):.0f}",
        )
        return rows

    def _time_steps(self, n: int, steps: int, seconds: float) -> None:
        """Learn what a step over `n` rows costs; where rows in one request cost nearly a step each (more
        than three quarters of `n` lone steps: 3 rows take ~3.2 steps on 2 cores, ~1.1 on a GPU), draw rows
        one request each from now on."""
        if steps < TIMED_STEPS or self.max_n == 1:
            return
        self.step_s[n] = seconds / (steps - 1)
        alone = self.step_s.get(1)
        if n > 1 and alone and self.step_s[n] > 0.75 * n * alone:
            self.max_n = 1
            log.info(
                "%s: a step over %d rows takes %.0f ms, one row's %.0f ms: rows are drawn one request each",
                self.endpoint.url,
                n,
                1000 * self.step_s[n],
                1000 * alone,
            )

    def _extend(self, row: _Row, choice: dict, config: SamplingConfig, rule: StopRule) -> None:
        """Add a streamed choice's tokens to its row; end the row at the stop rule or a loop."""
        tokens = _tokens(choice)
        if not tokens and choice.get("text"):
            tokens = [(choice["text"], None, 0.0)]
        for piece, token_id, logprob in tokens:
            row.pieces.append(piece)
            row.logprobs.append(logprob)
            if token_id is not None:
                row.ids.append(token_id)
        if stop_index(row.text, rule) is not None:
            row.finish = "stop"
        elif config.guards and find_loop(row.pieces) is not None:
            row.finish = "loop"
        elif reason := choice.get("finish_reason"):  # no stop sequences are sent: "stop" is the EOS
            row.finish = "length" if reason == "length" else "eos"

    def _sample(self, row: _Row, heal: str, rule: StopRule, config: SamplingConfig) -> Sample:
        pieces, finish = row.pieces, row.finish
        if config.guards and (end := find_loop(pieces)) is not None:
            pieces, finish = pieces[:end], "loop"
        text = finish_text("".join(pieces), heal, rule)
        return Sample(
            text=text,
            token_ids=row.ids[: len(pieces)],
            mean_logprob=mean(row.logprobs[: len(pieces)]),
            finish=finish,
        )

    def _post(self, request: dict, should_stop):
        """The response lines of a POST to /v1/completions; connection failures are retried with backoff
        (a server restarting), errors with a status are not (they will not go away)."""
        for attempt in range(RETRIES + 1):
            try:
                lines = post_json(
                    self.endpoint,
                    "/v1/completions",
                    request,
                    self._headers,
                    should_stop,
                    read_timeout=self.read_timeout,
                )
                first = next(lines, None)  # connects and reads the head: raises here if it fails
                return _chain(first, lines)
            except HttpError as e:
                if e.status or attempt == RETRIES:
                    raise BackendError(self._explain(e)) from e
                time.sleep(BACKOFF_S * 2**attempt * (1 + random.random()))
        raise AssertionError("unreachable")

    def _explain(self, error: HttpError) -> str:
        if error.status in (401, 403):
            return _with_key_hint(error)
        if error.status == 404 and self.model:
            return f"{error}; is {self.model!r} a model this server serves (see its /v1/models)?"
        return str(error)


def connect_openai(url: str, model: str) -> CompletionsBackend:
    """The `openai` backend: `url` is the server's base (`http://host:8000`, with or without `/v1`); `model`
    the name it serves, or empty to take its first model. Checks now that the server answers and knows the
    model, so a wrong URL, key or name is one clear message at startup."""
    if not url:
        raise ModelLoadError(
            "backend openai needs the endpoint setting: the server's URL, e.g. http://gpu-box:8000"
        )
    base = url.rstrip("/")
    base = base[: -len("/v1")] if base.endswith("/v1") else base
    endpoint = Endpoint(base)
    api_key = os.environ.get(API_KEY_ENV, "")
    try:
        models = get_json(endpoint, "/v1/models", _auth_headers(api_key)).get("data", [])
    except HttpError as e:
        raise ModelLoadError(f"the inference server is not usable: {_with_key_hint(e)}") from e
    served = [m.get("id", "") for m in models]
    if not model:
        if not served:
            raise ModelLoadError(
                f"{base}/v1/models lists no model: set the model setting to the name it serves"
            )
        model = served[0]
    elif served and model not in served:
        raise ModelLoadError(f"{base} does not serve {model!r}; it serves: {', '.join(served)}")
    llama_cpp = any(m.get("id") == model and m.get("owned_by") == "llamacpp" for m in models)
    return CompletionsBackend("openai", endpoint, model, api_key, llama_cpp=llama_cpp)


def llama_cpp_fields(config: SamplingConfig, heal: str) -> dict:
    """llama.cpp's own completion fields for a request: the prompt kept cached, the sampled token's id and
    log-probability, its samplers as torch's, and a grammar that holds the row to javac's names or makes its
    first token start with the whitespace cut off the prompt (token healing)."""
    fields: dict = {"cache_prompt": True, "n_probs": 1}
    fields |= {"repeat_penalty": 1.0, "top_p": 1.0, "min_p": 0.0}  # torch's sampler has neither
    if config.guards and config.repetition_penalty != 1.0:
        # llama.cpp's penalty also sees the prompt's last 64 tokens (ours: the generated ones only)
        fields["repeat_penalty"] = config.repetition_penalty
    if config.names:  # javac's members after a dot (the prompt ends at the dot: nothing to heal)
        fields["grammar"] = gbnf_names(config.names)
    elif heal:
        fields["grammar"] = f"root ::= {_gbnf_char(heal[0])} [^\\x00]*"
    return fields


def _gbnf_char(char: str) -> str:
    return {"\n": '"\\n"', "\t": '"\\t"', " ": '" "'}.get(char, f'"{char}"')


def _auth_headers(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def _with_key_hint(error: HttpError) -> str:
    """The error, and what to do when the server refused the key (401, 403)."""
    return f"{error}; set {API_KEY_ENV} to the server's API key" if error.status in (401, 403) else str(error)


def _chain(first, rest):
    if first is not None:
        yield first
    yield from rest


def _tokens(choice: dict) -> list[tuple[str, int | None, float]]:
    """(text, id or None, logprob) per token of a streamed choice: llama.cpp's `logprobs.content` or the
    OpenAI/vLLM `logprobs.tokens` + `token_logprobs`."""
    logprobs = choice.get("logprobs") or {}
    if content := logprobs.get("content"):
        return [(t.get("token", ""), t.get("id"), float(t.get("logprob") or 0.0)) for t in content]
    tokens = logprobs.get("tokens") or []
    values = logprobs.get("token_logprobs") or [0.0] * len(tokens)
    return [(t, None, float(v or 0.0)) for t, v in zip(tokens, values, strict=False)]


def _piece_ends(text: str, size: int) -> list[int]:
    """Ends of growing prefixes of `text`, about `size` characters apart, each after a line end; the last is
    the whole text."""
    ends, start = [], 0
    while len(text) - start > size:
        cut = text.rfind("\n", start + size // 2, start + size)
        cut = start + size if cut < 0 else cut + 1
        ends.append(cut)
        start = cut
    return [*ends, len(text)]
