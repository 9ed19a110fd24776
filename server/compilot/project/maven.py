"""Maven builds read from their poms and the local repository, the way Maven itself would resolve them.

Maven is not run: the poms are XML, their parents and imported BOMs are found beside them or in the local
repository (`~/.m2/repository`, or `localRepository` in `~/.m2/settings.xml`), and the dependency graph is
walked as Maven's resolver does (nearest declaration wins, `dependencyManagement` pins versions and scopes,
exclusions and optional dependencies are honoured, scopes combine by its table). So no plugin, extension or
build code ever executes. Not understood: profiles (other than their absence), version ranges (the lowest
bound present is taken), `${env.X}`/`${settings.X}` properties, relocations.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from .module import Module, under

COMPILE_SCOPES = ("compile", "provided", "system")  # what javac sees for main sources
# Maven's scope table: (declared scope, transitive dependency's scope) -> the scope it gets; absent: dropped.
_MEDIATED = {
    ("compile", "compile"): "compile",
    ("compile", "runtime"): "runtime",
    ("provided", "compile"): "provided",
    ("provided", "runtime"): "provided",
    ("runtime", "compile"): "runtime",
    ("runtime", "runtime"): "runtime",
    ("test", "compile"): "test",
    ("test", "runtime"): "test",
}
_PROPERTY = re.compile(r"\$\{([^}]+)\}")
_MAX_DEPTH = 12  # transitive levels walked: real graphs are shallower; a cycle of poms must end


def local_repository(home: str | os.PathLike | None = None) -> Path:
    """The local repository Maven would use: settings.xml's `localRepository`, else `~/.m2/repository`."""
    home = Path(home) if home is not None else Path.home()
    settings = home / ".m2" / "settings.xml"
    try:
        tree = ET.parse(settings).getroot()
        for element in tree.iter():
            if _local(element.tag) == "localRepository" and (element.text or "").strip():
                text = element.text.strip().replace("${user.home}", str(home))
                return Path(os.path.expanduser(text))
    except (OSError, ET.ParseError):
        pass
    return home / ".m2" / "repository"


@dataclass
class Dependency:
    group: str
    artifact: str
    version: str = ""
    scope: str = ""  # "" until management or the default ("compile") fills it
    type: str = "jar"
    classifier: str = ""
    optional: bool = False
    system_path: str = ""
    exclusions: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.group, self.artifact)

    @property
    def coordinates(self) -> str:
        return f"{self.group}:{self.artifact}:{self.version}"


@dataclass
class Pom:
    """One pom with its parents merged in: coordinates, properties, managed and declared dependencies."""

    path: Path
    group: str
    artifact: str
    version: str
    properties: dict[str, str] = field(default_factory=dict)
    managed: dict[tuple[str, str], Dependency] = field(default_factory=dict)
    dependencies: list[Dependency] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)
    build: dict[str, str] = field(default_factory=dict)  # sourceDirectory, testSourceDirectory, release...
    parents: list[Path] = field(default_factory=list)  # the files merged in, nearest first


class Maven:
    """Reads poms (cached per file) and resolves their dependencies against one local repository."""

    def __init__(self, repository: str | os.PathLike, reactor: dict[tuple[str, str], Path] | None = None):
        self.repository = Path(repository)
        self.reactor = reactor or {}  # (group, artifact) -> pom.xml of a module in the build being read
        self._poms: dict[Path, Pom | None] = {}

    # ----- reading poms -----

    def pom(self, path: Path, depth: int = 0) -> Pom | None:
        """The effective pom at `path` (parents, properties and BOM imports merged), None when unreadable."""
        path = Path(path)
        if path not in self._poms:
            self._poms[path] = None  # a parent cycle finds None instead of recursing
            self._poms[path] = self._read(path, depth)
        return self._poms[path]

    def _read(self, path: Path, depth: int) -> Pom | None:
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError):
            return None
        get = _children(root)
        parent_el = get.get("parent")
        parent = self._parent(path, parent_el, depth) if parent_el is not None else None
        pg = _text(parent_el, "groupId") if parent_el is not None else ""
        pv = _text(parent_el, "version") if parent_el is not None else ""
        pom = Pom(
            path=path,
            group=_text(root, "groupId") or pg,
            artifact=_text(root, "artifactId"),
            version=_text(root, "version") or pv,
        )
        if parent is not None:
            pom.properties.update(parent.properties)
            pom.managed.update(parent.managed)
            pom.dependencies.extend(parent.dependencies)  # Maven inherits a parent's dependencies
            pom.build.update(parent.build)
            pom.parents = [parent.path, *parent.parents]
        pom.properties.update({_local(e.tag): (e.text or "").strip() for e in _list(get.get("properties"))})
        pom.properties.update(
            {
                "project.groupId": pom.group,
                "project.artifactId": pom.artifact,
                "project.version": pom.version,
                "pom.version": pom.version,
                "version": pom.version,
                "project.basedir": str(path.parent),
                "basedir": str(path.parent),
                "project.parent.version": pv,
                "project.parent.groupId": pg,
            }
        )
        resolve = lambda s: _interpolate(s, pom.properties)  # noqa: E731
        pom.group, pom.version = resolve(pom.group), resolve(pom.version)
        management = get.get("dependencyManagement")
        for dep in _dependencies(
            _children(management).get("dependencies") if management is not None else None
        ):
            dep = _resolved(dep, resolve)
            if dep.scope == "import" and dep.type == "pom":
                bom = self.pom_of(dep.group, dep.artifact, dep.version, depth + 1)
                for key, managed in (bom.managed if bom else {}).items():
                    pom.managed.setdefault(key, managed)
            else:
                pom.managed[dep.key] = dep
        # a child's own declaration replaces its parent's for the same artifact
        own = [_resolved(d, resolve) for d in _dependencies(get.get("dependencies"))]
        keys = {d.key for d in own}
        pom.dependencies = [d for d in pom.dependencies if d.key not in keys] + own
        pom.modules = [(e.text or "").strip() for e in _list(get.get("modules")) if (e.text or "").strip()]
        build = get.get("build")
        if build is not None:
            for name in ("sourceDirectory", "testSourceDirectory"):
                if value := _text(build, name):
                    pom.build[name] = str(path.parent / resolve(value))
            for plugin in build.iter():
                if _local(plugin.tag) == "plugin" and _text(plugin, "artifactId") == "maven-compiler-plugin":
                    config = _children(plugin).get("configuration")
                    for name in ("release", "source"):
                        if value := _text(config, name) if config is not None else "":
                            pom.build.setdefault(name, resolve(value))
        return pom

    def _parent(self, path: Path, element: ET.Element, depth: int) -> Pom | None:
        """The parent pom: at `relativePath` (default ../pom.xml) when its coordinates match, else the repo."""
        group, artifact, version = (_text(element, n) for n in ("groupId", "artifactId", "version"))
        relative = _text(element, "relativePath")
        if relative != "" or _child(element, "relativePath") is None:
            candidate = (path.parent / (relative or "..")).resolve()
            candidate = candidate / "pom.xml" if candidate.is_dir() else candidate
            if candidate.is_file() and candidate != path:
                found = self.pom(candidate, depth + 1)
                if found is not None and (found.group, found.artifact) == (group, artifact):
                    return found
        return self.pom_of(group, artifact, version, depth + 1)

    def pom_of(self, group: str, artifact: str, version: str, depth: int = 0) -> Pom | None:
        """A dependency's pom: the reactor module's own, else the local repository's."""
        if depth > _MAX_DEPTH:
            return None
        if (group, artifact) in self.reactor:
            return self.pom(self.reactor[(group, artifact)], depth)
        if not version:
            return None
        return self.pom(self.artifact_path(group, artifact, version, "pom"), depth)

    def artifact_path(
        self, group: str, artifact: str, version: str, ext: str = "jar", classifier: str = ""
    ) -> Path:
        name = f"{artifact}-{version}{'-' + classifier if classifier else ''}.{ext}"
        return self.repository.joinpath(*group.split("."), artifact, version, name)

    # ----- resolving -----

    def resolve(self, pom: Pom) -> tuple[list[tuple[Dependency, Path | None]], list[str]]:
        """Every dependency of `pom` with its final scope and its jar (None: a reactor module or a pom), and
        the ones declared by it or by the reactor modules it uses whose jars the repository lacks. Breadth
        first: the nearest version wins."""
        found: list[tuple[Dependency, Path | None]] = []
        missing: list[str] = []
        seen: set[tuple[str, str]] = set()
        # (dependency, exclusions on its path, depth, whether it was declared in this build's own poms)
        queue = deque((self._managed(d, pom, direct=True), (), 0, True) for d in pom.dependencies)
        while queue:
            dep, excluded, depth, declared = queue.popleft()
            if dep.key in seen or _excluded(dep.key, excluded) or depth > _MAX_DEPTH:
                continue
            seen.add(dep.key)
            has_jar = dep.key not in self.reactor and dep.type != "pom"
            jar = self._jar(dep) if has_jar else None
            if has_jar and (jar is None or not jar.is_file()):
                if declared:
                    missing.append(dep.coordinates)
                continue
            found.append((dep, jar))
            child = self.pom_of(dep.group, dep.artifact, dep.version)
            if child is None:
                continue
            for sub in child.dependencies:
                sub = self._managed(sub, pom, direct=False, owner=child)
                scope = _MEDIATED.get((dep.scope, sub.scope))
                if scope is None or sub.optional:
                    continue
                sub.scope = scope
                queue.append((sub, excluded + dep.exclusions, depth + 1, dep.key in self.reactor))
        return found, missing

    def _managed(self, dep: Dependency, root: Pom, direct: bool, owner: Pom | None = None) -> Dependency:
        """`dep` with the version and scope dependency management gives it: the root's management wins over
        a transitive pom's own (as Maven does), a direct declaration's own version wins over management."""
        dep = Dependency(**vars(dep))
        pinned = root.managed.get(dep.key)
        local = owner.managed.get(dep.key) if owner is not None else None
        if pinned is not None and (not direct or not dep.version):
            dep.version = pinned.version or dep.version
        if not dep.version and local is not None:
            dep.version = local.version
        if not dep.scope:
            dep.scope = (pinned.scope if pinned else "") or (local.scope if local else "") or "compile"
        if not dep.exclusions and pinned is not None:
            dep.exclusions = pinned.exclusions
        dep.version = _lowest_bound(dep.version)
        return dep

    def _jar(self, dep: Dependency) -> Path | None:
        if dep.scope == "system":
            return Path(dep.system_path) if dep.system_path else None
        if not dep.version:
            return None
        classifier = dep.classifier or ("tests" if dep.type == "test-jar" else "")
        return self.artifact_path(dep.group, dep.artifact, dep.version, "jar", classifier)


def maven_modules(folder: str | os.PathLike, repository: str | os.PathLike | None = None) -> list[Module]:
    """The modules of the Maven build whose top pom is `folder/pom.xml` ([] when there is none): each with
    its source roots, its reactor siblings' sources, and its class paths from the local repository."""
    top = Path(folder).resolve() / "pom.xml"
    if not top.is_file():
        return []
    files = _reactor_files(top)
    reader = Maven(repository if repository is not None else local_repository())
    poms = {path: reader.pom(path) for path in files}
    reader = Maven(reader.repository, {(p.group, p.artifact): path for path, p in poms.items() if p})
    poms = {path: reader.pom(path) for path in files}  # again, now that imports of reactor BOMs resolve
    return [_module(reader, pom, poms) for pom in poms.values() if pom is not None]


def _reactor_files(top: Path) -> list[Path]:
    """The top pom and every module pom it lists, recursively (a module may be a folder or a pom file)."""
    files, queue = [], [top]
    while queue:
        path = queue.pop(0)
        if path in files or not path.is_file():
            continue
        files.append(path)
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError):
            continue
        for element in _list(_children(root).get("modules")):
            name = (element.text or "").strip()
            target = (path.parent / name).resolve()
            queue.append(target / "pom.xml" if target.is_dir() or not name.endswith(".xml") else target)
    return files


def _module(reader: Maven, pom: Pom, poms: dict[Path, Pom | None]) -> Module:
    base = pom.path.parent
    main = [Path(pom.build.get("sourceDirectory", base / "src" / "main" / "java"))]
    test = [Path(pom.build.get("testSourceDirectory", base / "src" / "test" / "java"))]
    for kind, roots in (("generated-sources", main), ("generated-test-sources", test)):
        generated = base / "target" / kind
        if generated.is_dir():
            roots += sorted(p for p in generated.iterdir() if p.is_dir())
    resolved, missing = reader.resolve(pom)
    main_cp, test_cp, siblings = [], [], []
    for dep, jar in resolved:
        if jar is None:  # a reactor module (its sources, not a jar) or a pom (its dependencies only)
            sibling = poms.get(reader.reactor.get(dep.key, Path()))
            if sibling is not None:
                siblings += _existing(
                    [Path(sibling.build.get("sourceDirectory", sibling.path.parent / "src/main/java"))]
                )
            continue
        (main_cp if dep.scope in COMPILE_SCOPES else test_cp if dep.scope == "test" else []).append(str(jar))
    return Module(
        name=pom.artifact,
        root=str(base),
        tool="maven",
        main_sources=tuple(_existing(main)),
        test_sources=tuple(_existing(test)),
        main_classpath=tuple(main_cp),
        test_classpath=tuple(main_cp + test_cp),
        release=_release(pom),
        missing=tuple(missing),
        build_files=(str(pom.path), *(str(p) for p in pom.parents if not under(p, reader.repository))),
        dependency_sources=tuple(dict.fromkeys(siblings)),
    )


def _release(pom: Pom) -> int | None:
    props = pom.properties
    for value in (
        props.get("maven.compiler.release"),
        pom.build.get("release"),
        props.get("maven.compiler.source"),
        pom.build.get("source"),
    ):
        if value and (number := java_version(_interpolate(value, props))) is not None:
            return number
    return None


def java_version(text: str) -> int | None:
    """8 for "1.8" or "8", 17 for "17"; None for anything else."""
    match = re.fullmatch(r"\s*(?:1\.)?(\d+)(?:\.\d+)*\s*", text or "")
    return int(match.group(1)) if match else None


# ----- XML and strings -----


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: ET.Element | None) -> dict[str, ET.Element]:
    return {_local(e.tag): e for e in element} if element is not None else {}


def _child(element: ET.Element | None, name: str) -> ET.Element | None:
    return _children(element).get(name)


def _list(element: ET.Element | None) -> list[ET.Element]:
    return [e for e in element if isinstance(e.tag, str)] if element is not None else []


def _text(element: ET.Element | None, name: str) -> str:
    child = _child(element, name)
    return (child.text or "").strip() if child is not None else ""


def _dependencies(element: ET.Element | None) -> list[Dependency]:
    deps = []
    for e in _list(element):
        if _local(e.tag) != "dependency":
            continue
        exclusions = tuple(
            (_text(x, "groupId"), _text(x, "artifactId")) for x in _list(_child(e, "exclusions"))
        )
        deps.append(
            Dependency(
                group=_text(e, "groupId"),
                artifact=_text(e, "artifactId"),
                version=_text(e, "version"),
                scope=_text(e, "scope"),
                type=_text(e, "type") or "jar",
                classifier=_text(e, "classifier"),
                optional=_text(e, "optional") == "true",
                system_path=_text(e, "systemPath"),
                exclusions=exclusions,
            )
        )
    return deps


def _resolved(dep: Dependency, resolve) -> Dependency:
    return Dependency(
        **{k: resolve(v) if isinstance(v, str) else v for k, v in vars(dep).items()},
    )


def _interpolate(text: str, properties: dict[str, str]) -> str:
    for _ in range(10):  # properties may refer to properties
        new = _PROPERTY.sub(lambda m: properties.get(m.group(1), m.group(0)), text)
        if new == text:
            break
        text = new
    return text


def _lowest_bound(version: str) -> str:
    """A range such as `[1.2,2.0)` as its lower bound; a plain version unchanged."""
    if version and version[0] in "[(":
        return version.strip("[]() ").split(",")[0].strip()
    return version


def _excluded(key: tuple[str, str], exclusions: tuple[tuple[str, str], ...]) -> bool:
    return any(g in ("*", key[0]) and a in ("*", key[1]) for g, a in exclusions)


def _existing(paths: list[Path]) -> list[str]:
    return [str(p) for p in paths if p.is_dir()]
