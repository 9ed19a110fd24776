"""Build awareness on real Maven projects: Debian's real jars and poms as a user's local repository, real
javac (independent runs and Compilot's checker). No model."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from compilot.project.discover import Workspace, build_root, discover
from compilot.project.maven import local_repository, maven_modules
from compilot.project.plain import eclipse_module, folder_module
from compilot.verification.checker import JavaChecker
from compilot.verification.gaps import dependency_gaps, file_gaps
from projects import DEBIAN_REPO, JUNIT, LANG3, SOURCES, javac, maven_project, user_home, write_module


@pytest.fixture
def shop(tmp_path) -> tuple[Path, Path]:
    """(the reactor's folder, the local repository)."""
    return maven_project(tmp_path / "shop"), user_home(tmp_path) / ".m2" / "repository"


def by_name(modules) -> dict:
    return {m.name: m for m in modules}


def jar_names(paths) -> set[str]:
    return {Path(p).name for p in paths}


def test_reactor_modules_scopes_and_siblings(shop):
    root, repository = shop
    modules = by_name(maven_modules(root, repository))
    assert set(modules) == {"shop", "core", "app"}
    core, app = modules["core"], modules["app"]
    assert core.main_sources == (str(root / "core/src/main/java"),)
    assert "guava-31.1-jre.jar" in jar_names(core.main_classpath)
    main, test = jar_names(app.main_classpath), jar_names(app.test_classpath)
    assert "commons-lang3-3.12.0.jar" in main
    assert "guava-31.1-jre.jar" in main  # through core, transitively
    assert not any("junit" in j for j in main)  # test scope: test sources only
    assert "junit-jupiter-api-5.9.2.jar" in test and "opentest4j-debian.jar" in test  # and its dependencies
    assert app.dependency_sources == core.main_sources  # a sibling's sources, not a jar
    assert app.release == core.release == 11
    assert not app.missing and not core.missing
    assert str(root / "pom.xml") in app.build_files and str(root / "app/pom.xml") in app.build_files


def test_every_file_compiles_with_the_discovered_paths(shop, tmp_path):
    """An independent javac with what discovery found compiles every file, and Compilot's checker reports
    nothing on them; without the class path the same checker reports errors on every file."""
    root, repository = shop
    workspace = discover([str(root)], repository)
    with (
        JavaChecker(project=workspace.paths_for) as checker,
        JavaChecker(sourcepath=workspace.sourcepath) as bare,
    ):
        for name in SOURCES:
            path = root / name
            paths = workspace.paths_for(str(path))
            run = javac(path, paths.classpath, paths.sourcepath, tmp_path / "out" / path.stem)
            assert run.returncode == 0, run.stderr
            assert checker.check(path.read_text(), str(path)) == [], name
            assert any(d.is_error for d in bare.check(path.read_text(), str(path))), name


def test_a_declared_dependency_missing_from_the_repository_is_named(shop):
    root, repository = shop
    absent = "<dependency><groupId>org.acme</groupId><artifactId>nowhere</artifactId><version>9</version></dependency>"
    write_module(root, "app", (LANG3, absent, JUNIT))
    app = by_name(maven_modules(root, repository))["app"]
    assert app.missing == ("org.acme:nowhere:9",)
    assert "commons-lang3-3.12.0.jar" in jar_names(app.main_classpath)


def _artifact(repo: Path, coords: str, dependencies: str = "", extra: str = "", jar: bool = True) -> None:
    group, artifact, version = coords.split(":")
    folder = repo.joinpath(*group.split("."), artifact, version)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{artifact}-{version}.pom").write_text(
        f"<project><groupId>{group}</groupId><artifactId>{artifact}</artifactId><version>{version}</version>"
        f"{extra}<dependencies>{dependencies}</dependencies></project>"
    )
    if jar:
        with zipfile.ZipFile(folder / f"{artifact}-{version}.jar", "w") as z:
            z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")


def _dep(coords: str, more: str = "") -> str:
    group, artifact, *version = coords.split(":")
    v = f"<version>{version[0]}</version>" if version else ""
    return f"<dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId>{v}{more}</dependency>"


def test_resolution_follows_mavens_rules(tmp_path):
    """BOM imports, nearest-wins, management of transitive versions, exclusions, optional and test-scoped
    transitive dependencies, and the scope table, on a synthetic repository."""
    repo = tmp_path / "repo"
    _artifact(
        repo,
        "x:bom:1",
        extra=f"<packaging>pom</packaging><dependencyManagement><dependencies>{_dep('x:lib:2')}</dependencies></dependencyManagement>",
        jar=False,
    )
    _artifact(repo, "x:lib:1")
    _artifact(repo, "x:lib:2")
    _artifact(repo, "x:opt:1")
    _artifact(repo, "x:only-tests:1")
    _artifact(repo, "x:gone:1")
    _artifact(repo, "x:deep:1")
    _artifact(
        repo,
        "x:mid:1",
        _dep("x:lib:1")
        + _dep("x:opt:1", "<optional>true</optional>")
        + _dep("x:only-tests:1", "<scope>test</scope>")
        + _dep("x:gone:1")
        + _dep("x:deep:1"),
    )
    _artifact(repo, "x:api:1", _dep("x:deep:1"))
    project = tmp_path / "p"
    project.mkdir()
    (project / "pom.xml").write_text(
        "<project><groupId>me</groupId><artifactId>p</artifactId><version>1</version>"
        "<properties><mid.version>1</mid.version></properties>"
        f"<dependencyManagement><dependencies>{_dep('x:bom:1', '<type>pom</type><scope>import</scope>')}</dependencies></dependencyManagement>"
        "<dependencies>"
        + _dep(
            "x:mid:${mid.version}",
            "<exclusions><exclusion><groupId>x</groupId><artifactId>gone</artifactId></exclusion></exclusions>",
        )
        + _dep("x:api:1", "<scope>provided</scope>")
        + "</dependencies></project>"
    )
    (p,) = maven_modules(project, repo)
    assert jar_names(p.main_classpath) == {"mid-1.jar", "lib-2.jar", "deep-1.jar", "api-1.jar"}
    # lib: the BOM pins version 2 over mid's 1; opt (optional), only-tests (test scope) and gone (excluded)
    # are not inherited


def test_settings_xml_names_the_local_repository(tmp_path):
    (tmp_path / ".m2").mkdir()
    (tmp_path / ".m2" / "settings.xml").write_text(
        "<settings><localRepository>${user.home}/elsewhere/repo</localRepository></settings>"
    )
    assert local_repository(tmp_path) == tmp_path / "elsewhere" / "repo"
    assert local_repository(tmp_path / "nobody") == tmp_path / "nobody" / ".m2" / "repository"


def test_release_from_the_compiler_plugin_and_a_broken_pom(tmp_path):
    (tmp_path / "pom.xml").write_text(
        "<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version><build><plugins><plugin>"
        "<artifactId>maven-compiler-plugin</artifactId><configuration><source>1.8</source></configuration>"
        "</plugin></plugins></build></project>"
    )
    assert maven_modules(tmp_path, tmp_path / "repo")[0].release == 8
    (tmp_path / "pom.xml").write_text("<project><groupId>")
    assert maven_modules(tmp_path, tmp_path / "repo") == []  # unreadable: nothing, and no exception


def test_build_root_finds_the_top_of_the_reactor(shop):
    root, _ = shop
    assert build_root(root / "app/src/test/java/org/acme/app/ShelfTest.java") == root
    assert build_root(Path("/") / "tmp" / "no-build-here" / "X.java") is None


def test_paths_for_tests_sources_and_outsiders(shop):
    root, repository = shop
    workspace = discover([str(root)], repository)
    test = workspace.paths_for(str(root / "app/src/test/java/org/acme/app/ShelfTest.java"))
    main = workspace.paths_for(str(root / "app/src/main/java/org/acme/app/Shelf.java"))
    assert "junit-jupiter-api-5.9.2.jar" in jar_names(test.classpath)
    assert "junit-jupiter-api-5.9.2.jar" not in jar_names(main.classpath)
    assert (
        str(root / "app/src/test/java") in test.sourcepath
        and str(root / "app/src/test/java") not in main.sourcepath
    )
    assert str(root / "core/src/main/java") in main.sourcepath and main.release == 11
    outside = workspace.paths_for("/somewhere/else/Scratch.java")
    assert workspace.module_of("/somewhere/else/Scratch.java") is None
    assert str(root / "core/src/main/java") in outside.sourcepath


def test_discovery_is_cached_until_a_build_file_changes(shop):
    root, repository = shop
    first = discover([str(root)], repository)
    assert discover([str(root)], repository).modules[1] is first.modules[1]  # the same objects: cached
    write_module(root, "app", (LANG3,))
    again = by_name(discover([str(root)], repository).modules)
    assert not any("junit" in j for j in again["app"].test_classpath)


def test_eclipse_classpath_and_lib_folders(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "lib").mkdir()
    jar = tmp_path / "lib" / "thing.jar"
    with zipfile.ZipFile(jar, "w") as z:
        z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
    (tmp_path / "src" / "Main.java").write_text("class Main {}")
    assert folder_module(tmp_path).main_classpath == (str(jar),)
    assert folder_module(tmp_path).main_sources == (str(tmp_path / "src"),)
    (tmp_path / ".classpath").write_text(
        '<classpath><classpathentry kind="src" path="src"/><classpathentry kind="lib" path="lib/thing.jar"/>'
        '<classpathentry kind="output" path="bin"/></classpath>'
    )
    module = eclipse_module(tmp_path)
    assert module is not None and module.tool == "eclipse"
    assert module.main_sources == (str(tmp_path / "src"),) and module.main_classpath == (str(jar),)
    assert Workspace((module,)).module_of(str(tmp_path / "src" / "Main.java")) == module


# ----- errors that follow from a missing dependency -----

TEST_FILE = SOURCES["app/src/test/java/org/acme/app/ShelfTest.java"]


@pytest.fixture(scope="module")
def checker():
    with JavaChecker() as c:
        yield c


def test_a_missing_library_is_one_cause_not_a_flood(checker):
    """JUnit missing: javac reports its package twice and every use; all of it follows from one gap."""
    found = checker.check(TEST_FILE.replace("org.acme.core.Catalog", "java.util.List"), "ShelfTest.java")
    assert sum(d.is_error for d in found) >= 4
    gaps = dependency_gaps(found, TEST_FILE)
    assert gaps.packages == ("org.junit.jupiter.api",)
    assert [d.message for d in gaps.kept if d.is_error and "Shelf" not in d.message] == []
    kept_imports = dependency_gaps(found, TEST_FILE, keep_imports=True)
    assert [d.message for d in kept_imports.kept if "junit" in d.message] == [
        "package org.junit.jupiter.api does not exist"
    ]


def test_the_users_own_mistakes_stay(checker):
    text = (
        "import java.utl.List;\nimport org.acme.cor.Catalog;\nimport org.junit.jupiter.api.Test;\n"
        'class A { @Test void t() { int x = "s"; } }\n'
    )
    gaps = dependency_gaps(checker.check(text, "A.java"), text, own_prefixes=("org.acme",))
    messages = [d.message for d in gaps.kept]
    assert "package java.utl does not exist" in messages  # the JDK's namespace: a typo
    assert "package org.acme.cor does not exist" in messages  # the user's own namespace: a typo
    assert any("incompatible types" in m for m in messages)  # unrelated to the gap
    assert not any("junit" in m or "symbol:   class Test" in m for m in messages)
    assert gaps.packages == ("org.junit.jupiter.api",)


# ----- Gradle, through discovery -----


def test_a_gradle_build_gets_its_jars_and_its_projects_sources(tmp_path):
    """Commons Lang (Debian's real jar) in a `~/.gradle/caches` layout; `app` uses it and `core`'s class."""
    gradle_home = tmp_path / "gradle-home"
    cached = gradle_home / "caches/modules-2/files-2.1/org.apache.commons/commons-lang3/3.12.0/0a1b2c"
    cached.mkdir(parents=True)
    (cached / "commons-lang3-3.12.0.jar").symlink_to(
        DEBIAN_REPO / "org/apache/commons/commons-lang3/3.12.0/commons-lang3-3.12.0.jar"
    )
    build = tmp_path / "build"
    (build / "core/src/main/java/lib").mkdir(parents=True)
    (build / "app/src/main/java/app").mkdir(parents=True)
    (build / "settings.gradle").write_text("rootProject.name = 'demo'\ninclude 'core', 'app'\n")
    (build / "app/build.gradle").write_text(
        "plugins { id 'java' }\njava { toolchain { languageVersion = JavaLanguageVersion.of(11) } }\n"
        "dependencies {\n    implementation project(':core')\n"
        "    implementation 'org.apache.commons:commons-lang3:3.12.0'\n"
        "    // implementation 'org.nowhere:gone:1.0'\n    testImplementation 'org.nowhere:tests:1.0'\n}\n"
    )
    (build / "core/src/main/java/lib/Name.java").write_text(
        'package lib;\npublic class Name { public String v = "x"; }\n'
    )
    app_file = build / "app/src/main/java/app/Main.java"
    app_file.write_text(
        "package app;\nimport org.apache.commons.lang3.StringUtils;\n"
        "class Main { String s = StringUtils.capitalize(new lib.Name().v); }\n"
    )
    workspace = discover([str(build)], tmp_path / "no-m2", gradle_home)
    app = workspace.module_of(str(app_file))
    assert app is not None and app.tool == "gradle" and app.release == 11
    assert app.dependency_sources == (str(build / "core/src/main/java"),)
    assert app.missing == ("org.nowhere:tests:1.0",)  # the commented-out one is not declared
    with JavaChecker(project=workspace.paths_for) as checker:
        assert checker.check(app_file.read_text(), str(app_file)) == []
    paths = workspace.paths_for(str(app_file))
    assert javac(app_file, paths.classpath, paths.sourcepath, tmp_path / "out").returncode == 0
    assert build_root(app_file) == build


def test_a_named_module_is_checked_on_the_class_path_without_its_module_info_noise(tmp_path, checker):
    """`module-info.java` on the source path makes javac resolve its `requires` against the module path; the
    jars are on the class path, so javac complains about the module-info in every file: not published."""
    (tmp_path / "src/org/acme").mkdir(parents=True)
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib/lang3.jar").symlink_to(
        DEBIAN_REPO / "org/apache/commons/commons-lang3/3.12.0/commons-lang3-3.12.0.jar"
    )
    (tmp_path / "src/module-info.java").write_text("module org.acme { requires org.apache.commons.lang3; }\n")
    path = tmp_path / "src/org/acme/A.java"
    text = 'package org.acme;\nimport org.apache.commons.lang3.StringUtils;\nclass A { String s = StringUtils.capitalize("x"); }\n'
    path.write_text(text)
    workspace = discover([str(tmp_path)])
    with JavaChecker(project=workspace.paths_for) as named:
        found = named.check(text, str(path))
        assert any("module-info" in d.message for d in found)
        assert file_gaps(found, text, workspace, str(path)).kept == ()
        broken = text.replace("capitalize", "capitalise")
        kept = file_gaps(named.check(broken, str(path)), broken, workspace, str(path)).kept
        assert [d.message.split("\n")[0] for d in kept] == ["cannot find symbol"]


def test_what_a_sibling_module_declares_and_lacks_is_named_for_its_users(shop, tmp_path):
    root, _ = shop
    app = by_name(maven_modules(root, tmp_path / "empty-repository"))["app"]
    assert "com.google.guava:guava:31.1-jre" in app.missing  # declared by core, which app uses
    assert "org.junit.jupiter:junit-jupiter-api:5.9.2" in app.missing


def test_compilot_check_reads_the_build_around_the_file(shop, tmp_path):
    """The CLI finds the reactor above the file and checks it with the module's test class path; with an
    empty repository it names the gap once instead of printing the cascade."""
    import os
    import subprocess
    import sys

    root, repository = shop
    test_file = root / "app/src/test/java/org/acme/app/ShelfTest.java"
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")

    def check(home: Path) -> subprocess.CompletedProcess:
        env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": cache}
        command = [sys.executable, "-m", "compilot", "check", str(test_file)]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)

    good = check(repository.parent.parent)
    assert good.returncode == 0 and good.stdout == "", good.stderr
    (tmp_path / "bare").mkdir()
    bare = check(tmp_path / "bare")
    assert bare.returncode == 1 and bare.stdout == ""  # nothing printed line by line
    assert "not on the class path: org.junit.jupiter.api" in bare.stderr
    assert "org.junit.jupiter:junit-jupiter-api:5.9.2" in bare.stderr
