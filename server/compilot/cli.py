"""The `compilot` command: complete, check, fix, model prepare, serve, bench, train.

Errors are one clear line on stderr and a non-zero exit; results go to stdout.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from compilot.generation.backend import BACKENDS
from compilot.project.discover import Workspace, build_root, discover
from compilot.settings import Settings


class UserError(Exception):
    """Something the user can fix; printed as one line, exit status 2."""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:  # the language server parses its own flags
        from compilot.lsp.server import main as serve

        return serve(argv[1:]) or 0
    if argv[:1] == ["bench"]:
        from compilot.bench.run import main as bench

        return bench(argv[1:]) or 0
    if argv[:1] == ["train"]:
        from compilot.train.command import main as train

        return train(argv[1:]) or 0
    args = _parser().parse_args(argv)
    _quiet_libraries()
    try:
        return args.run(args)
    except UserError as e:
        print(f"compilot: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="compilot", description="Java completions that compile.")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    complete = sub.add_parser("complete", help="print completions that compile at a position of a Java file")
    complete.add_argument("file", type=Path)
    complete.add_argument("--line", type=int, required=True, help="1-based line of the cursor")
    complete.add_argument("--col", type=int, required=True, help="1-based column of the cursor")
    complete.add_argument("--json", action="store_true", help="every candidate with score, verdict, timings")
    complete.add_argument("--samples", type=int, help="candidates to draw (default 4)")
    complete.add_argument("--max-new-tokens", type=int)
    _add_backend_arguments(complete)
    complete.add_argument("--device", help="auto, cpu, cuda")
    complete.add_argument("--seed", type=int)
    complete.add_argument("--no-guards", dest="guards", action="store_false", default=None)
    complete.add_argument("--no-verify", dest="verify", action="store_false", default=None)
    complete.add_argument("--no-truncate", dest="truncate", action="store_false", default=None)
    complete.add_argument(
        "--no-adaptive", dest="adaptive", action="store_false", default=None, help="draw all samples at once"
    )
    complete.add_argument(
        "--line-seconds",
        type=float,
        default=0.0,
        help="stop decoding a line after this long (default 0: no limit; a person waits for one answer here, "
        "unlike an editor, whose default budget is 2 s)",
    )
    complete.add_argument("--prompt", choices=("outline", "window"), help="prompt style (default outline)")
    complete.add_argument("--classpath", help="jars and folders, ':'-separated")
    complete.add_argument("--sourcepath", help="source roots, ':'-separated")
    complete.add_argument("--release", dest="java_release", type=int, help="Java release to check against")
    complete.set_defaults(run=_complete)

    check = sub.add_parser("check", help="print javac's diagnostics for a Java file (warm checker)")
    check.add_argument("file", type=Path)
    check.add_argument("--classpath")
    check.add_argument("--sourcepath")
    check.add_argument("--release", dest="java_release", type=int)
    check.set_defaults(run=_check, json=False)

    fix = sub.add_parser("fix", help="propose (or --write) verified fixes for a Java file's javac errors")
    fix.add_argument("file", type=Path)
    fix.add_argument("--line", type=int, help="only the errors on this 1-based line")
    fix.add_argument(
        "--write", action="store_true", help="apply the fixes; the original is kept as FILE.orig"
    )
    fix.add_argument("--json", action="store_true", help="machine-readable output")
    fix.add_argument("--force", action="store_true", help="--write even over uncommitted git changes")
    fix.add_argument("--samples", type=int, help="model candidates per regenerated line (default 4)")
    _add_backend_arguments(fix)
    fix.add_argument("--classpath")
    fix.add_argument("--sourcepath")
    fix.add_argument("--release", dest="java_release", type=int)
    fix.set_defaults(run=_fix)

    model = sub.add_parser("model", help="manage the model")
    model_sub = model.add_subparsers(required=True, metavar="ACTION")
    prepare = model_sub.add_parser(
        "prepare",
        help="convert and cache the embedded model (torch's and llama.cpp's copies), print where they are",
    )
    prepare.set_defaults(run=_prepare)

    sub.add_parser("serve", help="run the language server (stdio; --tcp HOST:PORT)")
    sub.add_parser("bench", help="run the benchmark (`compilot bench --help`; `--fix` for fix-to-compile)")
    sub.add_parser(
        "train", help="specialise the model to a code base with javac's verdicts (`compilot train --help`)"
    )
    return parser


def _settings(args) -> Settings:
    names = {f.name for f in dataclasses.fields(Settings)}
    values = {k: v for k, v in vars(args).items() if k in names and v is not None}
    settings, problems = Settings().updated(values)
    if problems:
        raise UserError("; ".join(problems))
    return settings


def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise UserError(f"cannot read {path}: {e.strerror}") from e
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UserError(f"{path} is not UTF-8 text (byte {e.start}): save it as UTF-8") from e


def _add_backend_arguments(command: argparse.ArgumentParser) -> None:
    """--model, --backend, --endpoint: what generates, for the commands that generate."""
    command.add_argument(
        "--model",
        help="'embedded:smollm2-135m', a model folder or Hugging Face id, a .gguf file, a served name",
    )
    command.add_argument("--backend", choices=BACKENDS, help="auto (default), torch, llamacpp, openai")
    command.add_argument("--adapter", help="a LoRA adapter folder from `compilot train`, on top of the model")
    command.add_argument("--endpoint", help="backend openai: the server's URL (API key: $COMPILOT_API_KEY)")


def _offset(text: str, line: int, col: int) -> int:
    lines = text.split("\n")
    if not 1 <= line <= len(lines):
        raise UserError(f"line {line} is outside the file (1-{len(lines)})")
    if not 1 <= col <= len(lines[line - 1]) + 1:
        raise UserError(f"column {col} is outside line {line} (1-{len(lines[line - 1]) + 1})")
    return sum(len(s) + 1 for s in lines[: line - 1]) + col - 1


def _complete(args) -> int:
    from compilot.engine import Engine
    from compilot.generation.backend import ModelLoadError

    text = _read(args.file)
    offset = _offset(text, args.line, args.col)
    try:
        with Engine(_settings(args), _workspace(args.file)) as engine:
            result = engine.complete(text, offset, filename=str(args.file.resolve()))
    except ModelLoadError as e:
        raise UserError(str(e)) from e
    if args.json:
        print(json.dumps(_result_json(result), indent=2))
        return 0
    if result.message:
        print(f"compilot: {result.message}", file=sys.stderr)
    for i, item in enumerate(result.items, 1):
        tag = "compiles" if item.verdict == "pass" else "not checked"
        print(f"--- completion {i} ({tag}, score {item.score:.3f}{', truncated' if item.truncated else ''})")
        print(item.text)
    return 0 if result.items else 1


def _result_json(result) -> dict:
    return {
        "kind": result.context.kind.value,
        "checked": result.checked,
        "message": result.message,
        "timings": {k: round(v, 4) for k, v in result.timings.items()},
        "offered": [c.text for c in result.items],
        "candidates": [
            {
                "text": c.text,
                "raw": c.raw,
                "score": round(c.score, 4),
                "verdict": c.verdict,
                "truncated": c.truncated,
                "finish": c.finish,
                "new_errors": [f"{d.line}:{d.column}: {d.message}" for d in c.new_errors],
            }
            for c in result.candidates
        ],
    }


def _check(args) -> int:
    from compilot.verification.checker import CheckerError, JavaChecker
    from compilot.verification.gaps import file_gaps

    text = _read(args.file)
    settings = _settings(args)
    workspace = _workspace(args.file)
    path = str(args.file.resolve())
    try:
        checker = JavaChecker(
            settings.java_release, settings.classpath, settings.sourcepath, project=workspace.paths_for
        )
        try:
            diagnostics = checker.check(text, path)
        finally:
            checker.close()
    except CheckerError as e:
        raise UserError(str(e)) from e
    module = workspace.module_of(path)
    gaps = file_gaps(diagnostics, text, workspace, path)
    for d in gaps.kept:
        print(f"{args.file}:{d.line}:{d.column}: {d.kind.lower()}: {d.message}")
    if gaps.packages:
        missing = (
            f" (declared, not found locally: {', '.join(module.missing)})"
            if module and module.missing
            else ""
        )
        print(
            f"compilot: not on the class path: {', '.join(gaps.packages)}{missing}; {gaps.hidden} error(s) "
            "that follow from it not shown (--classpath adds jars)",
            file=sys.stderr,
        )
    errors = sum(d.is_error for d in gaps.kept)
    print(f"{errors} error(s), {len(gaps.kept) - errors} other diagnostic(s)", file=sys.stderr)
    return 1 if errors or gaps.hidden else 0


def _fix(args) -> int:
    from compilot.engine import Engine
    from compilot.fix.command import Refused, run
    from compilot.generation.backend import ModelLoadError
    from compilot.verification.checker import CheckerError

    text = _read(args.file)
    try:
        with Engine(_settings(args), _workspace(args.file)) as engine:
            return run(
                engine, args.file, text, args.line, args.write, args.json, args.force, sys.stdout, sys.stderr
            )
    except (Refused, ModelLoadError, CheckerError) as e:
        raise UserError(str(e)) from e


def _workspace(file: Path) -> Workspace:
    """The build around `file` (the language server reads the same), so javac gets its class path."""
    root = build_root(file)
    return discover([str(root)]) if root is not None else Workspace()


def _prepare(args) -> int:
    import importlib.util

    from compilot.generation.backend import ModelLoadError
    from compilot.generation.model import prepare_embedded_gguf, prepare_embedded_model

    try:
        print(prepare_embedded_model())  # what torch loads
        if importlib.util.find_spec("xllamacpp"):
            print(prepare_embedded_gguf())  # what llama.cpp loads
    except ModelLoadError as e:
        raise UserError(str(e)) from e
    return 0


def _quiet_libraries() -> None:
    """transformers' progress bars and warnings would drown the CLI's one-line messages."""
    import os
    import warnings

    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    warnings.filterwarnings("ignore")


if __name__ == "__main__":
    sys.exit(main())
