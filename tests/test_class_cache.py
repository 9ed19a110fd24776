"""The class cache on a real two-module Maven reactor (Debian's jars): the workspace's own sources compiled once,
checks reading their class files with the same diagnostics, a source saved later read from source again, a
root that does not compile left to its sources, and nothing written into the workspace."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from compilot.project.discover import discover
from compilot.verification.checker import JavaChecker
from projects import SOURCES, maven_project, user_home

SHELF = "app/src/main/java/org/acme/app/Shelf.java"
CATALOG = "core/src/main/java/org/acme/core/Catalog.java"
SHELF_TEST = "app/src/test/java/org/acme/app/ShelfTest.java"


@pytest.fixture
def shop(tmp_path):
    root = maven_project(tmp_path / "shop")
    return root, discover([str(root)], user_home(tmp_path) / ".m2" / "repository")


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def errors(checker: JavaChecker, root: Path, name: str, text: str | None = None) -> list[str]:
    path = root / name
    return [
        d.message for d in checker.check(path.read_text() if text is None else text, str(path)) if d.is_error
    ]


def test_checks_read_the_compiled_classes_with_the_same_diagnostics(shop, tmp_path):
    root, workspace = shop
    before = snapshot(root)
    wrong = SOURCES[SHELF].replace("catalog.titles().size()", "catalog.count()")
    with (
        JavaChecker(project=workspace.paths_for) as plain,
        JavaChecker(project=workspace.paths_for) as cached,
    ):
        cache = cached.use_class_cache(workspace.modules, tmp_path / "classes")
        cache.wait(120)
        main_roots = {r for m in workspace.modules for r in m.main_sources}
        assert main_roots <= set(cache.ready())
        paths = cached.paths(str(root / SHELF))
        assert str(cache.runs[0].folder) in paths[1].split(os.pathsep)  # core's classes on app's class path
        assert list((cache.runs[0].folder / "org" / "acme" / "core").glob("Catalog.class"))
        for name in SOURCES:
            assert errors(cached, root, name) == errors(plain, root, name) == [], name
        assert errors(cached, root, SHELF, wrong) == errors(plain, root, SHELF, wrong) != []
    assert snapshot(root) == before  # class files go to the cache folder only


def test_a_source_saved_after_the_compile_is_read_from_source(shop, tmp_path):
    root, workspace = shop
    with JavaChecker(project=workspace.paths_for) as checker:
        checker.use_class_cache(workspace.modules, tmp_path / "classes").wait(120)
        assert errors(checker, root, SHELF) == []
        catalog = root / CATALOG
        time.sleep(1.1)  # a later modification time than the class file's, at any file system's resolution
        catalog.write_text(
            SOURCES[CATALOG].replace(
                "public ImmutableList<String> titles()", "ImmutableList<String> titles()"
            )
        )
        assert any(
            "titles()" in e for e in errors(checker, root, SHELF)
        )  # no longer public: javac read the source


def test_the_files_of_a_root_that_do_not_compile_stay_with_their_sources(shop, tmp_path):
    """One test with an error: the root's other tests are cached, that one is not and keeps its error."""
    root, workspace = shop
    (root / SHELF_TEST).write_text(SOURCES[SHELF_TEST].replace("shelf.size()", "shelf.count()"))
    other = root / SHELF_TEST.replace("ShelfTest", "LabelTest")
    other.write_text(
        'package org.acme.app;\n\nclass LabelTest {\n    String label = new Shelf(null).label("x");\n}\n'
    )
    with JavaChecker(project=workspace.paths_for) as checker:
        cache = checker.use_class_cache(workspace.modules, tmp_path / "classes")
        cache.wait(120)
        tests = {r for m in workspace.modules for r in m.test_sources}
        assert tests and tests <= set(cache.ready())
        folder = Path(cache.folders_for(tests)[0]) / "org" / "acme" / "app"
        assert (folder / "LabelTest.class").is_file() and not (folder / "ShelfTest.class").exists()
        assert any("count()" in e for e in errors(checker, root, SHELF_TEST))
        assert errors(checker, root, SHELF_TEST, SOURCES[SHELF_TEST]) == []
    assert not list((tmp_path / "classes").glob("*.partial-*"))


def test_a_root_whose_every_file_has_an_error_stays_with_its_sources(shop, tmp_path):
    root, workspace = shop
    (root / SHELF_TEST).write_text(SOURCES[SHELF_TEST].replace("shelf.size()", "shelf.count()"))
    with JavaChecker(project=workspace.paths_for) as checker:
        cache = checker.use_class_cache(workspace.modules, tmp_path / "classes")
        cache.wait(120)
        tests = {r for m in workspace.modules for r in m.test_sources}
        assert tests and not tests & set(cache.ready())
        assert any("count()" in e for e in errors(checker, root, SHELF_TEST))
    assert not list((tmp_path / "classes").glob("*.partial-*"))


def test_the_class_cache_setting_turns_it_off_and_the_sourcepath_setting_gets_one(shop):
    from compilot.engine import start_checker
    from compilot.project.discover import Workspace
    from compilot.settings import Settings

    root, workspace = shop
    core = workspace.modules[[m.name for m in workspace.modules].index("core")]
    on, _ = start_checker(Settings(), workspace)
    off, _ = start_checker(Settings(class_cache=False), workspace)
    # no build read (the benchmark's --repo, or a user without one): the setting's roots and jars
    app = workspace.modules[[m.name for m in workspace.modules].index("app")]
    (root / SHELF_TEST).write_text("class ShelfTest { int broken = true; }\n")  # this root cannot compile
    roots = core.main_sources + app.test_sources
    given, _ = start_checker(Settings(sourcepath=roots, classpath=core.main_classpath), Workspace())
    try:
        assert on.class_cache is not None and off.class_cache is None
        given.class_cache.wait(120)
        assert set(given.class_cache.ready()) == set(core.main_sources)
        assert given.class_cache.folders_for(core.main_sources)[0] in given.paths(str(root / CATALOG))[1]
        assert errors(given, root, CATALOG) == []
    finally:
        for checker in (on, off, given):
            checker.close()


def compiled(tmp_path: Path, workspace) -> tuple[set[str], dict[str, int]]:
    """A start of the class cache, to its end: the roots it has ready, and its class files' mtimes."""
    from compilot.verification.class_cache import ClassCache
    from compilot.verification.jdk import find_jdk

    cache = ClassCache(workspace.modules, find_jdk().javac, tmp_path / "classes")
    cache.start()
    cache.wait(120)
    cache.close()
    files = {str(p): p.stat().st_mtime_ns for p in (tmp_path / "classes").rglob("*.class")}
    return set(cache.ready()), files


def test_a_second_start_reuses_the_folders_until_a_source_is_saved(shop, tmp_path):
    root, workspace = shop
    ready, first = compiled(tmp_path, workspace)
    main_roots = {r for m in workspace.modules for r in m.main_sources}
    assert main_roots <= ready and first
    again, second = compiled(tmp_path, workspace)
    assert again == ready and second == first  # nothing compiled again
    time.sleep(0.05)
    (root / CATALOG).write_text(SOURCES[CATALOG] + "\n")  # saved: core's main root is compiled again
    ready3, third = compiled(tmp_path, workspace)
    assert ready3 == ready
    changed = {p for p in third if third[p] != first.get(p)}
    assert any(p.endswith("Catalog.class") for p in changed)
    assert not any(p.endswith("Shelf.class") for p in changed)  # app's roots were up to date


def test_a_deleted_source_drops_its_classes_so_checks_see_it_is_gone(shop, tmp_path):
    from compilot.verification import class_cache

    root, workspace = shop
    with JavaChecker(project=workspace.paths_for) as checker:
        cache = checker.use_class_cache(workspace.modules, tmp_path / "classes")
        cache.wait(120)
        assert errors(checker, root, SHELF) == []
        (root / CATALOG).unlink()  # Shelf uses Catalog: its class file is still in core's folder
        deadline = time.monotonic() + class_cache.WATCH_S * 3
        core = next(m for m in workspace.modules if m.name == "core")
        while set(core.main_sources) & set(cache.ready()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not set(core.main_sources) & set(cache.ready())
        assert any("Catalog" in e for e in errors(checker, root, SHELF))


def test_folders_no_start_used_for_a_month_are_removed(shop, tmp_path):
    from compilot.verification import class_cache

    _, workspace = shop
    stale, recent = tmp_path / "classes" / "0123456789abcdef", tmp_path / "classes" / "fedcba9876543210"
    for folder in (stale, recent):
        (folder / "org").mkdir(parents=True)
        (folder / class_cache.STAMP).write_text("")
    month_ago = time.time() - (class_cache.KEEP_DAYS + 1) * 86400
    os.utime(stale / class_cache.STAMP, (month_ago, month_ago))
    compiled(tmp_path, workspace)
    assert not stale.exists() and recent.is_dir()


def test_a_root_that_did_not_compile_is_not_tried_again_until_a_source_it_reads_is_saved(shop, tmp_path):
    root, workspace = shop
    (root / SHELF_TEST).write_text(SOURCES[SHELF_TEST].replace("shelf.size()", "shelf.count()"))
    tests = {r for m in workspace.modules for r in m.test_sources}
    ready, _ = compiled(tmp_path, workspace)
    assert tests and not tests & ready
    failed = [p.with_name("compiled.txt") for p in (tmp_path / "classes").rglob("failed.txt")]
    assert len(failed) == 1  # app's tests (core has none)
    stamped = failed[0].stat().st_mtime_ns
    again, _ = compiled(tmp_path, workspace)
    assert again == ready and failed[0].stat().st_mtime_ns == stamped  # not tried again
    time.sleep(0.05)
    (root / SHELF).write_text(SOURCES[SHELF] + "\n")  # main, which the tests read: they are tried again
    compiled(tmp_path, workspace)
    assert failed[0].stat().st_mtime_ns != stamped
