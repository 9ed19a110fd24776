"""Gradle builds read as text: modules, source roots, class paths and Java release, without running Gradle.

A Gradle build script is a program (Groovy or Kotlin). Running it, or the wrapper, would execute the
workspace's code (and download whatever it asks for), so nothing here ever does: `settings.gradle(.kts)`,
`build.gradle(.kts)`, `gradle.properties` and `gradle/libs.versions.toml` are read as plain text, the common
declarative shapes are recognised with regular expressions, and the declared coordinates are looked up in the
local Gradle cache (`<gradle home>/caches/modules-2/files-2.1`) and the Maven local repository. Transitive
dependencies come from the `.pom` files found next to the jars. Whatever is not understood is skipped: a
malformed script gives a module with what could be read, never an exception.

Understood: `include` (and `project(':x').projectDir = file('dir')`), `rootProject.name`; the dependency
configurations javac cares about, in string, map, `libs.` catalog, `project(':x')`, `projects.x`, `files()`
and `fileTree()` notations; `$name` / `${...}` interpolation from `ext`, `def`/`val` and `gradle.properties`;
`sourceSets { main { java { srcDirs ... } } }`; the usual ways of saying the Java release; the root script's
`allprojects { }` / `subprojects { }` / `project(':x') { }` blocks.

Not understood (the module then simply knows less): anything computed (loops, `if`, functions, string
concatenation with `+`); plugins that add source sets or dependencies (Kotlin, Android, Spring dependency
management, ...); convention plugins in `buildSrc` or included builds (`includeBuild`, `includeFlat`);
dependency substitution, exclusions, constraints, resolution strategies and conflict resolution (the first
version met wins, not the highest); Gradle module metadata (`.module`); `.pom` parents and BOMs (a
transitive dependency whose version comes from one is skipped); versions managed by a platform (the highest
version in the cache is used instead).
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from compilot.project.module import Module

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: version catalogs are not read
    tomllib = None  # type: ignore[assignment]

_SETTINGS = ("settings.gradle.kts", "settings.gradle")
_SCRIPTS = ("build.gradle.kts", "build.gradle")
# configuration -> "api" (on this class path and exported to dependents), "main" or "test"; runtimeOnly,
# annotationProcessor and the like are absent on purpose: they never reach javac's class path
_CONFIGS = {
    "api": "api",
    "compileOnlyApi": "api",
    "compile": "api",
    "implementation": "main",
    "compileOnly": "main",
    "testImplementation": "test",
    "testCompileOnly": "test",
    "testCompile": "test",
}
# a double-quoted string may hold `${...}` with quotes of its own: "g:a:${property("v")}" is one string
_DOUBLE = r'"((?:[^"\\\n$]|\\.|\$\{[^{}\n]*\}|\$(?!\{))*)"'
_SINGLE = r"'((?:[^'\\\n]|\\.)*)'"
_STRING = r'"""[\s\S]*?(?:"""|\Z)|\'\'\'[\s\S]*?(?:\'\'\'|\Z)|' + _DOUBLE + "|" + _SINGLE + r'|"|\''
_COMMENT_OR_STRING = re.compile(r"//[^\n]*|/\*[\s\S]*?(?:\*/|\Z)|" + _STRING)
_BRACKET_OR_STRING = re.compile(_STRING + r"|[{}()\[\]]")
_QUOTED = re.compile(_DOUBLE + "|" + _SINGLE)
_CONFIG_OR_STRING = re.compile(_STRING + r"|(?<![\w.])(?P<config>" + "|".join(_CONFIGS) + r")\b(?!\s*[.=])")
_OTHER_PROJECTS = r"buildscript|allprojects|subprojects|project\s*\(\s*[\"'](?P<path>[^\"']*)[\"']\s*\)"
_TEMPLATE = re.compile(r"\$\{([^{}]*)\}|\$([A-Za-z_]\w*)")
_ASSIGN = re.compile(
    r"(?:^|[{;])[ \t]*(?:(?:def|val|var)\s+)?((?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*)\s*(?::\s*\w+\s*)?=\s*"
    r"([\"'])([^\"'\n]*)\2(?!\s*,)",
    re.M,
)
_EXTRA_SET = re.compile(
    r"\b(?:ext|extra)(?:\[\s*|\.set\(\s*)([\"'])([\w.\-]+)\1\s*\]?\s*[=,]\s*([\"'])([^\"'\n]*)\3"
)
_RELEASE = tuple(
    re.compile(p)
    for p in (
        r"options\.release(?:\s*=\s*|\.set\(\s*)([^\n;]+)",
        r"(?<!\w)sourceCompatibility(?:\s*=\s*|\.set\(\s*|[ \t]+)([^\n;]+)",
        r"languageVersion(?:\s*=\s*|\.set\(\s*)JavaLanguageVersion\.of\(([^\n;]+)",
        r"jvmToolchain\s*\(([^\n;]+)",
        r"(?<!\w)targetCompatibility(?:\s*=\s*|\.set\(\s*|[ \t]+)([^\n;]+)",
    )
)


class _Coord(NamedTuple):
    group: str
    artifact: str
    version: str | None
    classifier: str | None = None
    ext: str = "jar"

    @property
    def gav(self) -> str:
        return f"{self.group}:{self.artifact}" + (f":{self.version}" if self.version else "")


class _ProjectRef(NamedTuple):
    path: str  # ":core"


_Dep = _Coord | _ProjectRef | Path  # a Path: a jar named by files() or fileTree()


@dataclass
class _Catalog:
    libraries: dict[str, _Coord] = field(default_factory=dict)  # accessor ("foo.bar") -> coordinate
    bundles: dict[str, list[str]] = field(default_factory=dict)  # accessor -> library accessors
    versions: dict[str, str] = field(default_factory=dict)  # "libs.versions.foo.bar" -> version


@dataclass
class _Project:
    name: str  # the include path without its leading colon; the root: rootProject.name or the folder's
    path: str  # ":b:c", ":" for the root
    root: Path
    script: Path | None


@dataclass
class _Script:
    """What one project's script declares, before anything is looked up."""

    project: _Project
    own: str  # its script without comments and without the blocks that configure other projects
    inherited: str  # the root's allprojects/subprojects/project(':x') blocks that apply to it
    variables: dict[str, str]
    deps: list[tuple[str, _Dep]]  # (bucket of _CONFIGS, declaration), in declaration order


@dataclass
class _Build:
    folder: Path
    settings: Path | None
    catalog_file: Path
    scripts: dict[str, _Script]  # by project path


# ---- text ----------------------------------------------------------------------------------------------


def _read(path: Path | None) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace") if path else ""
    except (OSError, ValueError):
        return ""


def _strip_comments(text: str) -> str:
    """Comments removed (line breaks kept), strings untouched: a URL's `//` is not a comment."""
    return _COMMENT_OR_STRING.sub(lambda m: "\n" * m[0].count("\n") if m[0][0] == "/" else m[0], text)


def _strings(text: str) -> list[str]:
    return [m[1] if m[1] is not None else m[2] for m in _QUOTED.finditer(text)]


def _closing(text: str, start: int) -> int:
    """Index of the bracket closing the one just before `start`, strings skipped; the end when unbalanced."""
    depth = 0
    for m in _BRACKET_OR_STRING.finditer(text, start):
        if m[0] in ("(", "{", "["):
            depth += 1
        elif m[0] in (")", "}", "]"):
            if depth == 0:
                return m.start()
            depth -= 1
    return len(text)


def _blocks(text: str, head: str) -> list[tuple[re.Match[str], str]]:
    """Each outermost `head { body }` as (match of the head, body); one inside another is part of its body
    (which also keeps an unbalanced file from being scanned once per brace)."""
    out, pos, pattern = [], 0, re.compile(r"(?<![\w.])(?:" + head + r")\s*\{")
    while m := pattern.search(text, pos):
        end = _closing(text, m.end())
        out.append((m, text[m.end() : end]))
        pos = end + 1
    return out


def _without(text: str, head: str) -> str:
    """`text` with its `head { ... }` blocks cut out."""
    out, pos = [], 0
    for m, body in _blocks(text, head):
        out.append(text[pos : m.start()])
        pos = m.end() + len(body) + 1
    return "".join(out) + text[pos:]


def _call_args(text: str, pos: int) -> tuple[str, int]:
    """The arguments of a call whose name ends at `pos`: `(...)`, or Groovy's paren-less rest of the line
    (continued while it ends with a comma); and where they end."""
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    if text.startswith("(", pos):
        end = _closing(text, pos + 1)
        return text[pos + 1 : end], end + 1
    end = pos
    while (nl := text.find("\n", end)) >= 0 and text[end:nl].rstrip().endswith(","):
        end = nl + 1
    end = len(text) if nl < 0 else nl
    return text[pos:end], end


def _lookup(expr: str, variables: dict[str, str]) -> str | None:
    """The value of a simple expression: `name`, `project.name`, `rootProject.ext.name`, `property("name")`,
    `extra["name"]`, `libs.versions.name.get()`; None for anything else."""
    expr = expr.strip()
    if m := re.fullmatch(r"[\w.]*?(?:[pP]roperty|extra|ext|get)\s*[(\[]\s*[\"']([\w.\-]+)[\"'].*", expr):
        expr = m[1]
    expr = re.sub(r"(?:\.(?:get|toInt|toInteger|toString)\(\)|\s+as\s+\w+|!!)+$", "", expr)
    short = re.sub(r"^(?:(?:project|rootProject)\.)?(?:(?:ext|extra|properties)\.)?", "", expr)
    return variables.get(expr, variables.get(short))


def _interpolate(text: str, variables: dict[str, str]) -> str:
    """`$name` and `${expr}` replaced where `_lookup` knows them (values may refer to others); the rest kept."""
    for _ in range(5):
        new = _TEMPLATE.sub(lambda m: _lookup(m[1] or m[2], variables) or m[0], text)
        if new == text:
            break
        text = new
    return text


def _properties(path: Path) -> dict[str, str]:
    out = {}
    for line in _read(path).splitlines():
        line = line.strip()
        if line and line[0] not in "#!" and (m := re.match(r"([^=:\s]+)\s*[=:\s]\s*(.*)", line)):
            out[m[1]] = m[2].strip()
    return out


def _variables(text: str) -> dict[str, str]:
    """String-valued `ext`/`def`/`val`/`extra[...]` assignments, by their last name (`ext.a` -> `a`)."""
    out = {m[1].rsplit(".", 1)[-1]: m[3] for m in _ASSIGN.finditer(text)}
    out.update({m[2]: m[4] for m in _EXTRA_SET.finditer(text)})
    return out


# ---- settings, catalog, scripts ------------------------------------------------------------------------


def _first_file(folder: Path, names: Iterable[str]) -> Path | None:
    return next((folder / n for n in names if (folder / n).is_file()), None)


def _projects(folder: Path, settings: Path | None) -> list[_Project]:
    """The root project, then each included one, from the settings file."""
    text = _strip_comments(_read(settings))
    names = re.findall(r"rootProject\.name\s*=\s*[\"']([^\"']+)[\"']", text)
    dirs = {
        ":" + m[2].lstrip(":"): m[4]
        for m in re.finditer(
            r"project\(\s*([\"'])(.+?)\1\s*\)\.projectDir\s*=\s*(?:new\s+)?(?:file|File)\(\s*"
            r"(?:(?:rootDir|settingsDir|rootProject\.projectDir)\s*,\s*)?([\"'])(.+?)\3",
            text,
        )
    }
    projects = [_Project(names[-1] if names else folder.name, ":", folder, _first_file(folder, _SCRIPTS))]
    for m in re.finditer(r"(?<![\w.])include(?!\w)", text):
        for entry in _strings(_call_args(text, m.end())[0]):
            path = ":" + entry.strip().lstrip(":")
            if path != ":" and all(p.path != path for p in projects):
                root = Path(os.path.normpath(folder / dirs.get(path, path[1:].replace(":", "/"))))
                projects.append(_Project(path[1:], path, root, _first_file(root, _SCRIPTS)))
    return projects


def _catalog_key(alias: str) -> str:
    return re.sub(r"[-_.]", ".", alias)


def _catalog_version(value: object, versions: dict[str, str]) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if isinstance(value.get("ref"), str):
            return versions.get(value["ref"])
        return next(
            (value[k] for k in ("strictly", "require", "prefer") if isinstance(value.get(k), str)), None
        )
    return None


def _catalog(path: Path) -> _Catalog:
    """`gradle/libs.versions.toml`: its libraries by accessor, bundles, and versions."""
    try:
        data = tomllib.loads(_read(path)) if tomllib else {}
    except ValueError:
        return _Catalog()
    raw_versions = data.get("versions") if isinstance(data.get("versions"), dict) else {}
    versions = {k: v for k, raw in raw_versions.items() if (v := _catalog_version(raw, {}))}
    catalog = _Catalog(versions={"libs.versions." + _catalog_key(k): v for k, v in versions.items()})
    libraries = data.get("libraries") if isinstance(data.get("libraries"), dict) else {}
    for alias, entry in libraries.items():
        coord = None
        if isinstance(entry, str):
            coord = _parse_coord(entry)
        elif isinstance(entry, dict):
            module = entry.get("module") or (
                f"{entry['group']}:{entry['name']}" if {"group", "name"} <= entry.keys() else ""
            )
            coord = _parse_coord(str(module))
            if coord:
                coord = coord._replace(version=_catalog_version(entry.get("version"), versions))
        if coord:
            catalog.libraries[_catalog_key(alias)] = coord
    bundles = data.get("bundles") if isinstance(data.get("bundles"), dict) else {}
    for alias, members in bundles.items():
        if isinstance(members, list):
            catalog.bundles[_catalog_key(alias)] = [_catalog_key(str(m)) for m in members]
    return catalog


def _read_build(folder: Path) -> _Build | None:
    """Every project's script, read and split; None when the folder holds no Gradle file."""
    if not any((folder / n).is_file() for n in _SETTINGS + _SCRIPTS):
        return None
    settings = _first_file(folder, _SETTINGS)
    catalog_file = folder / "gradle" / "libs.versions.toml"
    catalog = _catalog(catalog_file)
    projects = _projects(folder, settings)
    root_text = _strip_comments(_read(projects[0].script))
    shared: dict[str, list[str]] = {}
    for m, body in _blocks(root_text, _OTHER_PROJECTS):
        key = ":" + m["path"].lstrip(":") if m["path"] is not None else m[0].rstrip("{ \t\n")
        shared.setdefault(key, []).append(body)
    accessors = {_accessor(p.path): p.path for p in projects[1:]}
    scripts = {}
    for project in projects:
        text = root_text if project.path == ":" else _strip_comments(_read(project.script))
        wanted = ("allprojects",) if project.path == ":" else ("allprojects", "subprojects", project.path)
        inherited = "\n".join(body for key in wanted for body in shared.get(key, []))
        variables = {
            **_properties(folder / "gradle.properties"),
            **_properties(project.root / "gradle.properties"),
        }
        variables.update(catalog.versions)
        variables.update(
            rootDir=str(folder), projectDir=str(project.root), buildDir=str(project.root / "build")
        )
        variables["rootProject.projectDir"] = str(folder)
        variables.update({**_variables(root_text), **_variables(text)})
        own = _without(text, _OTHER_PROJECTS)
        context = _Context(project.root, variables, catalog, accessors)
        deps = [
            (b, d)
            for b, d in _declarations(own + "\n" + inherited, context)
            if not (isinstance(d, _ProjectRef) and d.path == project.path)  # subprojects { } naming itself
        ]
        scripts[project.path] = _Script(project, own, inherited, variables, deps)
    return _Build(folder, settings, catalog_file, scripts)


def _accessor(path: str) -> str:
    """The type-safe accessor of a project path: ":foo-bar:baz" -> "fooBar.baz" (as in `projects.fooBar.baz`)."""
    return ".".join(re.sub(r"[-_](\w)", lambda m: m[1].upper(), seg) for seg in path[1:].split(":"))


# ---- dependency declarations ---------------------------------------------------------------------------


@dataclass
class _Context:
    """What a project's notations are read against."""

    root: Path
    variables: dict[str, str]
    catalog: _Catalog
    accessors: dict[str, str]

    def path(self, text: str) -> Path:
        return Path(os.path.normpath(self.root / _interpolate(text, self.variables)))


def _declarations(text: str, context: _Context) -> list[tuple[str, _Dep]]:
    """The `dependencies { }` blocks' declarations; those of a `testing { }` suite count as test ones."""
    out = []
    for body in (b for _, b in _blocks(_without(text, "testing"), "dependencies")):
        out += _configuration_calls(body, context, test=False)
    for suite in (b for _, b in _blocks(text, "testing")):
        for body in (b for _, b in _blocks(suite, "dependencies")):
            out += _configuration_calls(body, context, test=True)
    return out


def _configuration_calls(body: str, context: _Context, test: bool) -> list[tuple[str, _Dep]]:
    body = _without(body, "constraints")  # constraints pin versions, they add nothing
    out, pos = [], 0
    while m := _CONFIG_OR_STRING.search(body, pos):
        pos = m.end()
        if m["config"]:  # a configuration name, not a string
            args, pos = _call_args(body, m.end())
            bucket = "test" if test else _CONFIGS[m["config"]]
            out += [(bucket, dep) for dep in _notation(args.strip(), context)]
    return out


def _notation(args: str, context: _Context) -> list[_Dep]:
    """What one configuration call declares."""
    variables = context.variables
    if re.match(r"(?:enforcedPlatform|platform)\s*\(", args):
        return []  # a BOM: versions only
    if re.match(r"project\s*\(", args):
        path = re.search(r"path\s*[:=]\s*([\"'])(.*?)\1", args)
        found = [path[2]] if path else _strings(args)[:1]
        return [_ProjectRef(":" + found[0].lstrip(":"))] if found else []
    if m := re.match(r"projects\.([\w.]+)", args):
        key = re.sub(r"\.(?:get|dependencyProject)$", "", m[1])
        return [_ProjectRef(context.accessors[key])] if key in context.accessors else []
    if re.match(r"files\s*\(", args):
        return [context.path(s) for s in _strings(args)]
    if re.match(r"fileTree\s*\(", args):
        return list(_file_tree(args, context))
    if m := re.match(r"libs\.([\w.]+)", args):
        key = re.sub(r"\.(?:get|asProvider)$", "", m[1])
        libraries = context.catalog.libraries
        if key.startswith("bundles."):
            return [libraries[k] for k in context.catalog.bundles.get(key[8:], []) if k in libraries]
        return [libraries[key]] if key in libraries else []
    if re.search(r"\bname\s*[:=]\s*[\"']", args):
        pairs = re.finditer(
            r"\b(group|name|version|classifier)\s*[:=]\s*(?:" + _DOUBLE + "|" + _SINGLE + ")", args
        )
        parts = {m[1]: _interpolate(m[2] if m[2] is not None else m[3], variables) for m in pairs}
        notation = ":".join(parts.get(k, "") for k in ("group", "name", "version", "classifier")).rstrip(":")
        return [c] if (c := _parse_coord(notation)) else []
    return [c for s in _strings(args) if (c := _parse_coord(_interpolate(s, variables)))]


def _file_tree(args: str, context: _Context) -> list[Path]:
    """The jars a `fileTree(dir: 'libs', include: ['*.jar'])` / `fileTree("libs")` names, as they are now."""
    named = re.search(r"(?<!\w)[\"']?dir[\"']?\s*(?::|=|to)\s*([\"'])(.*?)\1", args)
    strings = _strings(args)
    if not named and not strings:
        return []
    base = context.path(named[2] if named else strings[0])
    include = re.search(
        r"[\"']?includes?[\"']?\s*(?::|=|to)\s*(\[[^\]]*\]|\w+Of\([^)]*\)|([\"']).*?\2)", args
    )
    found: set[Path] = set()
    for pattern in _strings(include[1]) if include else ["**/*.jar"]:
        try:
            found.update(p for p in base.glob(pattern) if p.suffix in (".jar", ".zip") and p.is_file())
        except (OSError, ValueError, NotImplementedError):
            continue
    return sorted(found)


def _parse_coord(text: str) -> _Coord | None:
    """`group:artifact[:version[:classifier]][@ext]`; None for anything else (an unresolved `$group`, ...)."""
    text, _, ext = text.strip().partition("@")
    parts = text.split(":")
    if not 2 <= len(parts) <= 4 or not all(re.fullmatch(r"[\w.\-]+", p) for p in parts[:2]):
        return None
    version = parts[2] if len(parts) > 2 and parts[2] else None
    classifier = parts[3] if len(parts) > 3 and parts[3] else None
    return _Coord(parts[0], parts[1], version, classifier, ext or "jar")


# ---- the local caches ----------------------------------------------------------------------------------


def _natural(version: str) -> list[tuple[int, int | str]]:
    return [(1, int(p)) if p[0] in "0123456789" else (0, p) for p in re.split(r"([0-9]+)", version) if p]


def _dynamic(version: str) -> bool:
    return (
        version.endswith("+") or version.startswith("latest.") or version[:1] in ("[", "(") or "$" in version
    )


class _Repository:
    """The local caches Gradle (and `mavenLocal()`) resolve into; pom reads are remembered for one call."""

    def __init__(self, gradle_home: Path, maven_repo: Path) -> None:
        self.files = gradle_home / "caches" / "modules-2" / "files-2.1"
        self.maven = maven_repo
        self._poms: dict[tuple[str, str, str], list[_Coord]] = {}

    def _dirs(self, group: str, artifact: str) -> tuple[Path, Path]:
        return self.files / group / artifact, self.maven.joinpath(*group.split("."), artifact)

    def _find(self, coord: _Coord, version: str, filename: str) -> Path | None:
        gradle, maven = self._dirs(coord.group, coord.artifact)
        try:
            hashes = sorted(p for p in (gradle / version).iterdir() if p.is_dir())
        except OSError:
            hashes = []
        return next(
            (p for p in [h / filename for h in hashes] + [maven / version / filename] if p.is_file()), None
        )

    def _versions(self, coord: _Coord) -> list[str]:
        """The version to try: the declared one, or (none, dynamic, unresolved) the cached ones, highest first."""
        if coord.version and not _dynamic(coord.version):
            return [coord.version]
        cached: set[str] = set()
        for d in self._dirs(coord.group, coord.artifact):
            try:
                cached.update(p.name for p in d.iterdir() if p.is_dir())
            except OSError:
                continue
        prefix = coord.version[:-1] if coord.version and coord.version.endswith("+") else ""
        return sorted((v for v in cached if v.startswith(prefix)), key=_natural, reverse=True)

    def jar(self, coord: _Coord) -> tuple[_Coord, Path] | None:
        for version in self._versions(coord):
            name = f"{coord.artifact}-{version}" + (f"-{coord.classifier}" if coord.classifier else "")
            if found := self._find(coord, version, f"{name}.{coord.ext}"):
                return coord._replace(version=version), found
        return None

    def pom_dependencies(self, coord: _Coord) -> list[_Coord]:
        key = (coord.group, coord.artifact, coord.version or "")
        if key not in self._poms:
            pom = self._find(coord, key[2], f"{coord.artifact}-{key[2]}.pom")
            self._poms[key] = _pom_dependencies(pom, key[2]) if pom else []
        return self._poms[key]

    def resolve(self, declared: Iterable[_Coord], seen: set[tuple[str, ...]]) -> tuple[list[str], list[str]]:
        """Jars of `declared` and of their poms' compile dependencies, nearest first, each group:artifact once
        (`seen` is shared with what is already on the path); and the declared coordinates not found."""
        jars, missing = [], []
        queue = deque((c, True) for c in declared)
        while queue:
            coord, is_declared = queue.popleft()
            if (coord.group, coord.artifact, coord.classifier or "") in seen:
                continue
            seen.add((coord.group, coord.artifact, coord.classifier or ""))
            if found := self.jar(coord):
                jars.append(str(found[1]))
                queue.extend((dep, False) for dep in self.pom_dependencies(found[0]))
            elif is_declared:
                missing.append(coord.gav)
        return jars, missing


def _local(el: ET.Element) -> str:
    """A tag without its namespace: poms may or may not declare Maven's."""
    return str(el.tag).rsplit("}", 1)[-1]


def _pom_dependencies(pom: Path, version: str) -> list[_Coord]:
    """A pom's compile-scope, non-optional dependencies whose coordinates it spells out (own properties and
    `${project.version}` understood; anything inherited from a parent is not)."""
    try:
        root = ET.parse(pom).getroot()
    except (ET.ParseError, OSError, ValueError):
        return []

    def children(el: ET.Element | None) -> list[ET.Element]:
        return list(el) if el is not None else []

    def child(el: ET.Element | None, name: str) -> ET.Element | None:
        return next((c for c in children(el) if _local(c) == name), None)

    def text(el: ET.Element | None, name: str) -> str:
        found = child(el, name)
        return (found.text or "").strip() if found is not None else ""

    parent = child(root, "parent")
    props = {_local(p): (p.text or "").strip() for p in children(child(root, "properties"))}
    group = text(root, "groupId") or text(parent, "groupId")
    props.update(
        {"project.version": version, "pom.version": version, "version": version, "project.groupId": group}
    )
    props.update(
        {"project.parent.version": text(parent, "version") or version, "project.parent.groupId": group}
    )

    def value(s: str) -> str:
        for _ in range(3):
            s = re.sub(r"\$\{([^}]+)\}", lambda m: props.get(m[1], m[0]), s)
        return s

    out = []
    for dep in children(child(root, "dependencies")):
        if _local(dep) != "dependency" or text(dep, "optional") == "true":
            continue
        if (text(dep, "scope") or "compile") != "compile" or (text(dep, "type") or "jar") != "jar":
            continue
        g, a, v = (value(text(dep, k)) for k in ("groupId", "artifactId", "version"))
        if all(x and "${" not in x for x in (g, a, v)):
            out.append(_Coord(g, a, v, text(dep, "classifier") or None))
    return out


# ---- modules -------------------------------------------------------------------------------------------


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _class_folders(root: Path) -> list[str]:
    return [
        str(d) for d in (root / "build/classes/java/main", root / "build/classes/kotlin/main") if d.is_dir()
    ]


def _classpath(
    decls: list[_Dep], build: _Build, repo: _Repository, seen: set[tuple[str, ...]], visiting: set[str]
) -> tuple[list[str], list[str]]:
    """Class path entries of some declarations (jars with their transitive ones, files, the depended-on
    projects' class folders and `api` dependencies); and the declared coordinates not found."""
    jars, missing = repo.resolve([d for d in decls if isinstance(d, _Coord)], seen)
    files = [str(d) for d in decls if isinstance(d, Path) and d.exists()]
    projects = []
    for ref in (d for d in decls if isinstance(d, _ProjectRef)):
        script = build.scripts.get(ref.path)
        if script is None or ref.path in visiting:
            continue
        visiting.add(ref.path)
        exported, _ = _classpath([d for b, d in script.deps if b == "api"], build, repo, seen, visiting)
        projects += _class_folders(script.project.root) + exported
    return jars + files + projects, missing


def _source_roots(script: _Script, source_set: str) -> tuple[str, ...]:
    """`src/<set>/java` (unless `srcDirs = ...` replaces it), declared `srcDir`s, generated sources; existing only."""
    root, text = script.project.root, script.own + "\n" + script.inherited
    named = rf"(?:{source_set}|(?:getByName|named|maybeCreate)\(\s*[\"']{source_set}[\"']\s*\))"
    bodies = [b for _, body in _blocks(text, "sourceSets") for _, b in _blocks(body, named)]
    bodies += [b for _, b in _blocks(text, rf"sourceSets\s*\.\s*{named}")]
    lines = [ln for body in bodies for ln in _java_lines(body)]
    lines += [
        ln for ln in text.splitlines() if re.search(rf"sourceSets\W+(?:\w+\W+)?{source_set}\W.*\bjava\.", ln)
    ]
    declared, replaced = [], False
    for line in lines:
        if m := re.search(r"[sS]rcDirs?\b", line):
            replaced |= bool(re.search(r"srcDirs\s*=|setSrcDirs", line))
            declared += [root / _interpolate(s, script.variables) for s in _strings(line[m.end() :])]
    default = [] if replaced else [root / "src" / source_set / "java"]
    generated = root / "build/generated/sources/annotationProcessor/java" / source_set
    return _dedupe(os.path.normpath(p) for p in default + declared + [generated] if p.is_dir())


def _java_lines(source_set_body: str) -> list[str]:
    """The lines of a source set's `java { }` blocks and its `java.` statements (not `resources`)."""
    lines = [ln for _, b in _blocks(source_set_body, "java") for ln in b.splitlines()]
    return lines + [ln for ln in source_set_body.splitlines() if re.match(r"\s*java\.", ln)]


def _java_version(expr: str, variables: dict[str, str]) -> int | None:
    """8 for `1.8`, `'1.8'`, `JavaVersion.VERSION_1_8`; 17 for `17`, `"17"`, `javaVersion` holding 17, ..."""
    if m := re.search(r"VERSION_(\d+)(?:_(\d+))?", expr):
        value = f"{m[1]}.{m[2]}" if m[2] else m[1]
    else:
        expr = re.sub(
            r"^\s*(?:JavaVersion\.toVersion|JavaLanguageVersion\.of|Integer\.\w+)\(", "", expr
        ).strip()
        if expr[:1] in ("'", '"'):
            value = _interpolate((_strings(expr) or [""])[0], variables)
        elif name := re.match(r"[A-Za-z_][\w.]*(?:\([^)]*\))?(?:\.\w+\(\))*", expr):
            value = _lookup(name[0], variables) or ""
        else:
            value = expr
    m = re.match(r"\s*(\d+)(?:[._](\d+))?", value)
    if not m:
        return None
    major = int(m[2]) if m[1] == "1" and m[2] else int(m[1])
    return major if 1 <= major < 100 else None


def _release(script: _Script) -> int | None:
    """The Java release the script asks for: its own statements first (the last one wins), then inherited."""
    for text in (script.own, script.inherited):
        for pattern in _RELEASE:
            for m in reversed(list(pattern.finditer(text))):
                if version := _java_version(m[1], script.variables):
                    return version
    return None


def _module(script: _Script, build: _Build, repo: _Repository) -> Module:
    project = script.project
    seen: set[tuple[str, ...]] = set()
    visiting = {project.path}
    main_decls = [d for b, d in script.deps if b != "test"]
    main, main_missing = _classpath(main_decls, build, repo, seen, visiting)
    test, test_missing = _classpath([d for b, d in script.deps if b == "test"], build, repo, seen, visiting)
    root_script = build.scripts[":"].project.script
    watched = [project.script, root_script, build.settings, build.folder / "gradle.properties"]
    watched += [project.root / "gradle.properties", build.catalog_file]
    return Module(
        name=project.name,
        root=str(project.root),
        tool="gradle",
        main_sources=_source_roots(script, "main"),
        test_sources=_source_roots(script, "test"),
        main_classpath=_dedupe(main),
        test_classpath=_dedupe(main + test),
        release=_release(script),
        missing=_dedupe(main_missing + test_missing),
        build_files=_dedupe(str(p) for p in watched if p is not None and p.is_file()),
    )


def _home(path: str | os.PathLike[str] | None, env: str | None, default: tuple[str, ...]) -> Path:
    if path is not None:
        return Path(path)
    if env and os.environ.get(env):
        return Path(os.environ[env])
    try:
        return Path.home().joinpath(*default)
    except RuntimeError:  # no home directory: nothing will be found there
        return Path(os.devnull)


def gradle_modules(
    folder: str | os.PathLike[str],
    gradle_home: str | os.PathLike[str] | None = None,
    maven_repo: str | os.PathLike[str] | None = None,
) -> list[Module]:
    """The Gradle build rooted at `folder` as modules (the root project first); [] when it has no Gradle file.

    `gradle_home` defaults to `$GRADLE_USER_HOME` or `~/.gradle`, `maven_repo` to `~/.m2/repository`.
    A `project(':x')` dependency puts x's class folders on the path; see `project_dependencies` for x's sources.
    """
    build = _read_build(Path(os.path.abspath(folder)))
    if build is None:
        return []
    repo = _Repository(
        _home(gradle_home, "GRADLE_USER_HOME", (".gradle",)), _home(maven_repo, None, (".m2", "repository"))
    )
    return [_module(script, build, repo) for script in build.scripts.values()]


def project_dependencies(folder: str | os.PathLike[str], *, tests: bool = True) -> dict[str, list[str]]:
    """Module name -> the names of the modules it depends on through `project(':x')`: the direct ones, then
    those they expose through `api`. With `tests`, test dependencies count too. Lets a caller put those
    modules' sources on the source path; nothing is looked up in the caches."""
    build = _read_build(Path(os.path.abspath(folder)))
    if build is None:
        return {}
    out = {}
    for path, script in build.scripts.items():
        order: list[str] = []
        queue = deque(d.path for b, d in script.deps if isinstance(d, _ProjectRef) and (tests or b != "test"))
        while queue:
            ref = queue.popleft()
            if ref == path or ref in order or ref not in build.scripts:
                continue
            order.append(ref)
            queue.extend(
                d.path for b, d in build.scripts[ref].deps if b == "api" and isinstance(d, _ProjectRef)
            )
        out[script.project.name] = [build.scripts[ref].project.name for ref in order]
    return out
