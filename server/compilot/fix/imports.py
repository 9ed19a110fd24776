"""`cannot find symbol: class X` -> `import pkg.X;`, from an index of the JDK's classes and the workspace's.

The JDK index is read from the runtime image (`jimage list lib/modules`, ~3 s) once per JDK and cached in
~/.cache/compilot/fix; when that fails a short list of everyday classes stands in.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import threading
from collections.abc import Iterable
from pathlib import Path

from compilot.cache import cache_dir
from compilot.fix.edits import Fix
from compilot.verification.diagnostics import Diagnostic
from compilot.verification.jdk import find_jdk

# Packages most code means when a name is ambiguous (`List`: java.util, not java.awt), best first.
PREFERRED = (
    "java.util", "java.util.function", "java.util.stream", "java.io", "java.nio.file", "java.math", "java.time",
    "java.util.concurrent", "java.util.concurrent.atomic", "java.util.regex", "java.nio", "java.nio.charset",
    "java.text", "java.net", "java.lang.reflect", "java.time.format",
)  # fmt: skip
_FALLBACK = {
    "java.util": "ArrayList Arrays Collections Comparator Deque HashMap HashSet Iterator LinkedHashMap "
    "LinkedList List Map Objects Optional PriorityQueue Queue Random Scanner Set Stack TreeMap TreeSet ArrayDeque",
    "java.util.stream": "Collectors IntStream Stream",
    "java.util.function": "Function Predicate Supplier Consumer BiFunction",
    "java.io": "BufferedReader File IOException InputStreamReader PrintWriter",
    "java.math": "BigDecimal BigInteger",
}
_TYPE_SYMBOL = re.compile(r"symbol:\s+(?:class|variable) ([A-Z][\w$]*)")
_IMPORT = re.compile(r"^import\s+(static\s+)?([\w.]+(?:\.\*)?)\s*;[ \t]*$", re.M)
_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)\s*;", re.M)

_lock = threading.Lock()
_jdk_index: dict[str, list[str]] | None = None
_workspace: dict[tuple[str, ...], dict[str, list[str]]] = {}


def import_fixes(
    text: str, d: Diagnostic, errors: Iterable[Diagnostic], sourcepath: tuple[str, ...] = ()
) -> list[Fix]:
    """Imports that may resolve the unknown type of `d`: up to three packages, and `pkg.*` where it fits."""
    name = unresolved_type(d)
    if name is None:
        return []
    packages = workspace_index(sourcepath).get(name, []) + jdk_index().get(name, [])
    imported = {m.group(2) for m in _IMPORT.finditer(text)}
    fixes = []
    for package in list(dict.fromkeys(packages))[:3]:
        if f"{package}.{name}" in imported or f"{package}.*" in imported:
            continue
        if _wants_wildcard(text, package, name, errors, imported):
            fixes.append(_import(text, f"{package}.*"))
        fixes.append(_import(text, f"{package}.{name}"))
    return fixes


def unresolved_type(d: Diagnostic) -> str | None:
    """The capitalised name javac could not resolve (`Arrays.asList`'s `Arrays` is a "variable" to javac)."""
    match = _TYPE_SYMBOL.search(d.message)
    return match.group(1) if d.code.startswith("compiler.err.cant.resolve") and match else None


def _wants_wildcard(text: str, package: str, name: str, errors: Iterable[Diagnostic], imported: set) -> bool:
    """The file imports with `*` already, or another unknown type of the same package would be fixed too."""
    if (
        any(i.endswith(".*") and not i.startswith("java.lang.") for i in imported)
        or "java.lang.*" in imported
    ):
        return True
    index = jdk_index()
    others = {unresolved_type(e) for e in errors} - {None, name}
    return any(package in index.get(other, ()) for other in others)


def _import(text: str, qualified: str) -> Fix:
    """`import qualified;` among the existing imports (in sorted place), or after `package`, or at the top."""
    line = f"import {qualified};"
    title = f"Fix to compile: add import {qualified}"
    existing = [m for m in _IMPORT.finditer(text) if not m.group(1)]
    if existing:
        later = [m for m in existing if m.group(2) > qualified]
        if later:
            return Fix(title, later[0].start(), later[0].start(), line + "\n", 0.0)
        return Fix(title, existing[-1].end(), existing[-1].end(), "\n" + line, 0.0)
    package = _PACKAGE.search(text)
    if package:
        return Fix(title, package.end(), package.end(), "\n\n" + line, 0.0)
    return Fix(title, 0, 0, line + "\n\n", 0.0)


def jdk_index() -> dict[str, list[str]]:
    """Simple class name -> packages of the running JDK's exported `java.*`/`javax.*` API, preferred first."""
    global _jdk_index
    with _lock:
        if _jdk_index is None:
            try:
                _jdk_index = _load_jdk_index()
            except (OSError, subprocess.SubprocessError, ValueError):
                _jdk_index = {n: [p] for p, names in _FALLBACK.items() for n in names.split()}
        return _jdk_index


def _load_jdk_index() -> dict[str, list[str]]:
    jdk = find_jdk()
    key = hashlib.sha256(f"{jdk.home}\0{jdk.version}".encode()).hexdigest()[:16]
    cache = _cache_dir() / f"jdk-classes-{key}.json"
    if cache.is_file():
        return json.loads(cache.read_text(encoding="utf-8"))
    jimage = jdk.home / "bin" / "jimage"
    listing = subprocess.run(
        [str(jimage), "list", str(jdk.home / "lib" / "modules")], capture_output=True, text=True, timeout=60
    )
    if listing.returncode != 0:
        raise OSError(listing.stderr.strip())
    index: dict[str, list[str]] = {}
    for entry in listing.stdout.split():
        if not entry.endswith(".class") or "$" in entry or not entry.startswith(("java/", "javax/")):
            continue
        package, _, name = entry[: -len(".class")].rpartition("/")
        if name not in ("package-info", "module-info"):
            index.setdefault(name, []).append(package.replace("/", "."))
    rank = {p: i for i, p in enumerate(PREFERRED)}
    for packages in index.values():
        packages.sort(key=lambda p: (rank.get(p, len(rank)), p.startswith(("java.awt", "javax.")), p))
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(index), encoding="utf-8")
    os.replace(tmp, cache)
    return index


def workspace_index(roots: tuple[str, ...], max_files: int = 5000) -> dict[str, list[str]]:
    """Simple class name -> packages of the `.java` files under the source roots (file name = class name)."""
    if not roots:
        return {}
    with _lock:
        if roots in _workspace:
            return _workspace[roots]
    index: dict[str, list[str]] = {}
    seen = 0
    for root in roots:
        for path in Path(root).rglob("*.java"):
            seen += 1
            if seen > max_files:
                break
            try:
                head = path.read_text(encoding="utf-8", errors="replace")[:4000]
            except OSError:
                continue
            package = _PACKAGE.search(head)
            if package:
                index.setdefault(path.stem, []).append(package.group(1))
    with _lock:
        _workspace[roots] = index
    return index


def _cache_dir() -> Path:
    return cache_dir() / "fix"
