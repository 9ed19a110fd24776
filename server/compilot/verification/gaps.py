"""javac errors that come from a missing dependency, told apart from the user's own mistakes.

Without a library's jar, javac reports its package once per import and then every use of its classes: a
file that builds fine shows a dozen errors. Those follow from one cause, so they are collected here and the
user is told the cause once instead. A package javac cannot find is a missing dependency unless the user's
own code could own it (`java.*`, or a package prefix of the workspace's sources): a typo stays an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .diagnostics import Diagnostic

if TYPE_CHECKING:
    from compilot.project.discover import Workspace
    from compilot.project.module import Module

_MISSING_PACKAGE = re.compile(r"package ([\w.]+) does not exist")
_OTHER_FILE = re.compile(r"^.*?\.java:\d+: ")  # an error javac found in a source-path file: "path:line: ..."
_MODULE_INFO = re.compile(r"^.*module-info\.java:\d+: ")  # one it found in a named module's declaration
_SYMBOL = re.compile(r"symbol:\s+(?:class|interface|variable|method|enum|annotation type|record)\s+(\w+)")
_IMPORT = re.compile(r"^\s*import\s+(static\s+)?([\w.]+)(\.\*)?\s*;", re.M)
# what a missing type causes besides "cannot find symbol": a static import from it, @Override on its methods
_FOLLOWERS = ("compiler.err.static.imp.only.classes.and.interfaces", "compiler.err.method.does.not.override")


@dataclass(frozen=True)
class Gaps:
    """A document's diagnostics split: what to publish, and the packages a missing dependency would hold."""

    kept: tuple[Diagnostic, ...]
    packages: tuple[str, ...] = ()  # not on the class path, and not the user's own
    hidden: int = 0  # errors not published because they follow from those packages


def dependency_gaps(
    diagnostics: Iterable[Diagnostic],
    text: str,
    own_prefixes: Iterable[str] = (),
    keep_imports: bool = False,
) -> Gaps:
    """Split `diagnostics` of `text`. `own_prefixes`: package prefixes of the workspace's sources (a missing
    package under one is the user's typo). `keep_imports`: the build declares nothing that would provide the
    packages (it would fail too), so each one's first error stays and only what follows is hidden."""
    everything = list(diagnostics)
    diagnostics = [d for d in everything if not _module_info_noise(d)]
    own = tuple(own_prefixes)
    packages: list[str] = []
    for d in diagnostics:
        package = _missing_package(d)
        if package and not _users(package, own) and package not in packages:
            packages.append(package)
    if not packages:
        return Gaps(tuple(diagnostics), hidden=len(everything) - len(diagnostics))
    names, wildcard = _imported_names(text, packages)
    gap_lines = {d.line for d in diagnostics if _missing_package(d) in packages}
    kept: list[Diagnostic] = []
    first_told: set[str] = set()
    for d in diagnostics:
        package = _missing_package(d)
        if package in packages:
            if keep_imports and package not in first_told:
                first_told.add(package)
                kept.append(d)
            continue
        if _follows(d, names, wildcard, gap_lines):
            continue
        kept.append(d)
    return Gaps(tuple(kept), tuple(packages), len(everything) - len(kept))


def file_gaps(diagnostics: Iterable[Diagnostic], text: str, workspace: Workspace, path: str) -> Gaps:
    """`dependency_gaps` for the file at `path` of `workspace`. Unless its module declares dependencies the
    local caches lack (the build fetches them, javac here cannot), a package nothing provides fails the
    build too, so its first error per file stays."""
    module = workspace.module_of(path)
    fetchable = module is not None and bool(module.missing)
    return dependency_gaps(diagnostics, text, workspace.package_prefixes, keep_imports=not fetchable)


def _module_info_noise(d: Diagnostic) -> bool:
    """A named module's `module-info.java` on the source path, seen from one of its files: its `requires`
    cannot be resolved because jars are given on the class path (not the module path), which changes nothing
    for this file's own code. (The module-info's own errors are reported when it is the file checked.)"""
    message = d.message.strip()
    return bool(_MODULE_INFO.match(message)) or (
        message.startswith("cannot access ") and "module-info" in message.split("\n", 1)[0]
    )


def _missing_package(d: Diagnostic) -> str:
    if d.code != "compiler.err.doesnt.exist":
        return ""
    match = _MISSING_PACKAGE.fullmatch(_OTHER_FILE.sub("", d.message.strip()))
    return match.group(1) if match else ""


def _users(package: str, own: tuple[str, ...]) -> bool:
    """Whether `package` could only be the user's own (or the JDK's): then its absence is a real error."""
    return package.startswith("java.") or any(package == p or package.startswith(p + ".") for p in own)


def _imported_names(text: str, packages: list[str]) -> tuple[set[str], bool]:
    """Simple names imported from the missing packages, and whether one is imported with `.*`."""
    names: set[str] = set()
    wildcard = False
    for match in _IMPORT.finditer(text):
        _static, name, star = match.groups()
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            if ".".join(parts[:i]) in packages:
                names.update(parts[i:])  # a class, and with `static` its member
                wildcard |= bool(star)
                break
    return names, wildcard


def _follows(d: Diagnostic, names: set[str], wildcard: bool, gap_lines: set[int]) -> bool:
    """Whether error `d` is what a missing package's classes cause rather than a mistake of its own."""
    if not d.is_error:
        return False
    if d.line in gap_lines or d.code.startswith(_FOLLOWERS):
        return True
    if d.code.startswith("compiler.err.cant.resolve") and (match := _SYMBOL.search(d.message)):
        name = match.group(1)
        return name in names or (wildcard and name[:1].isupper())
    return False


def gap_message(packages: Iterable[str], module: Module | None) -> str:
    """What to tell the user about packages javac cannot see: why, and what to do about it."""
    names = ", ".join(packages)
    hidden = "errors that follow from it are not shown"
    if module is not None and module.missing:
        where = {"maven": "the local Maven repository", "gradle": "the Gradle cache"}.get(module.tool, "")
        return (
            f"{', '.join(module.missing)} (module {module.name}) not found in {where}, so javac cannot see "
            f"{names}; {hidden}. Fetch the dependencies once (`mvn dependency:resolve`, `gradle build`) or "
            "add their jars to the `compilot.classpath` setting"
        )
    if module is not None and module.tool in ("maven", "gradle"):
        return (
            f"no dependency of module {module.name} provides {names} ({module.build_files[0]}); only its "
            f"first error per file is shown. Add the dependency, or its jar to `compilot.classpath`"
        )
    return (
        f"javac cannot find {names}: only its first error per file is shown. Add the library's jar to "
        "`compilot.classpath` or a `lib/` folder"
    )
