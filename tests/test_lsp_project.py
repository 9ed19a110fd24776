"""A real Maven project through the language server (real stdio, the embedded model, real javac): the class
path comes from the build and Debian's real jars laid out as the user's `~/.m2/repository`.

The server runs with that temporary HOME (and the real cache folder, where the model is); one server serves
the module, the tests run in file order and each leaves the project as it found it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from lsp_util import close_text, record_status, replace_text, wait_for
from projects import APP_DEPENDENCIES, LANG3, SOURCES, javac, maven_project, user_home, write_module

pytestmark = [pytest.mark.model, pytest.mark.asyncio(loop_scope="module")]

BASE = Path(tempfile.mkdtemp(prefix="compilot-project-"))
HOME = user_home(BASE)
SHOP = maven_project(BASE / "shop")
CACHE = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "compilot.lsp"],
    server_env={**os.environ, "HOME": str(HOME), "XDG_CACHE_HOME": CACHE},
)
SHELF = SHOP / "app/src/main/java/org/acme/app/Shelf.java"
SHELF_TEST = SHOP / "app/src/test/java/org/acme/app/ShelfTest.java"


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient):
    record_status(lsp_client)
    registered: list = []
    lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)(lambda params: registered.append(params))
    lsp_client.registered = registered
    result = await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            initialization_options={"samples": 2, "maxNewTokens": 24, "lineSeconds": 0},
            workspace_folders=[types.WorkspaceFolder(uri=SHOP.as_uri(), name="shop")],
        )
    )
    assert result.capabilities is not None
    await wait_for(lambda: registered, 30, "the server to ask for build-file watching")
    globs = [w["globPattern"] for w in registered[0].registrations[0].register_options["watchers"]]
    assert "**/pom.xml" in globs and "**/build.gradle.kts" in globs
    await wait_for(lambda: any(s["state"] in ("ready", "error") for s in lsp_client.statuses), 120, "ready")
    yield
    await lsp_client.shutdown_session()
    shutil.rmtree(BASE, ignore_errors=True)


_versions: dict[str, int] = {}


def open_file(client: LanguageClient, path: Path, text: str | None = None) -> str:
    uri = path.as_uri()
    _versions[uri] = 1
    client.diagnostics.pop(uri, None)
    item = types.TextDocumentItem(uri=uri, language_id="java", version=1, text=text or path.read_text())
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
    return uri


def change(client: LanguageClient, uri: str, text: str) -> None:
    _versions[uri] += 1
    client.diagnostics.pop(uri, None)
    replace_text(client, uri, _versions[uri], text)


close = close_text


async def diagnostics(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    await wait_for(lambda: uri in client.diagnostics, 60, f"diagnostics for {uri}")
    return list(client.diagnostics[uri])


def build_file_changed(client: LanguageClient, path: Path) -> None:
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=path.as_uri(), type=types.FileChangeType.Changed)]
        )
    )


async def test_files_that_compile_get_no_diagnostics(client: LanguageClient):
    for name in SOURCES:
        uri = open_file(client, SHOP / name)
        assert await diagnostics(client, uri) == [], name
        close(client, uri)


async def test_a_broken_line_gets_exactly_its_error(client: LanguageClient):
    uri = open_file(client, SHELF)
    assert await diagnostics(client, uri) == []  # the open's own, before the change (else it may come after)
    text = SHELF.read_text()
    change(client, uri, text.replace("StringUtils.leftPad(title, 20)", "StringUtils.leftPadd(title, 20)"))
    found = await diagnostics(client, uri)
    assert len(found) == 1 and "cannot find symbol" in found[0].message and "leftPadd" in found[0].message
    assert found[0].range.start.line == text.split("\n").index(
        "        String padded = StringUtils.leftPad(title, 20);"
    )
    change(client, uri, text)
    assert await diagnostics(client, uri) == []
    close(client, uri)


async def test_the_builds_release_is_checked(client: LanguageClient):
    """The reactor declares release 11: a record (Java 16) is an error here although the JDK is 17."""
    path = SHELF.with_name("Pair.java")
    uri = open_file(client, path, "package org.acme.app;\n\nrecord Pair(int left, int right) {}\n")
    found = await diagnostics(client, uri)
    assert found and any("record" in d.message for d in found), [d.message for d in found]
    close(client, uri)


async def test_a_completion_that_calls_the_library_compiles(client: LanguageClient, tmp_path):
    """Without the build's class path every use of Commons Lang is an error; with it the completion after
    `StringUtils.` is offered, and an independent javac with the same class path compiles the result."""
    text = SHELF.read_text()
    head = (
        "    public String shout(String title) {\n        String upper = StringUtils.upperCase(title);\n"
        "        String lower = StringUtils."
    )
    edited = text.replace(
        "    public int size() {", head + "\n        return upper + lower;\n    }\n\n    public int size() {"
    )
    uri = open_file(client, SHELF, edited)
    lines = edited.split("\n")
    line = next(i for i, s in enumerate(lines) if s.endswith("String lower = StringUtils."))
    result = await asyncio.wait_for(
        client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=line, character=len(lines[line])),
                context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
            )
        ),
        120,
    )
    items = list(result.items if isinstance(result, types.InlineCompletionList) else result or [])
    assert items, "no completion offered"
    completed = "\n".join(lines[:line] + [lines[line] + items[0].insert_text] + lines[line + 1 :])
    target = tmp_path / "src/org/acme/app/Shelf.java"
    target.parent.mkdir(parents=True)
    target.write_text(completed)
    repo = HOME / ".m2/repository"
    jars = (
        str(repo / "org/apache/commons/commons-lang3/3.12.0/commons-lang3-3.12.0.jar"),
        str(repo / "com/google/guava/guava/31.1-jre/guava-31.1-jre.jar"),  # Catalog's, from the source path
    )
    run = javac(target, jars, (str(SHOP / "core/src/main/java"),), tmp_path / "out")
    assert run.returncode == 0, (items[0].insert_text, run.stderr)
    close(client, uri)


async def test_removing_a_dependency_gives_one_message_not_a_flood(client: LanguageClient):
    uri = open_file(client, SHELF)
    assert await diagnostics(client, uri) == []
    client.messages.clear()
    write_module(SHOP, "app", tuple(d for d in APP_DEPENDENCIES if d != LANG3))
    build_file_changed(client, SHOP / "app/pom.xml")
    await wait_for(lambda: client.messages, 30, "a message about the missing package")
    await wait_for(lambda: client.diagnostics.get(uri), 30, "the import's error")
    found = list(client.diagnostics[uri])
    assert [d.message for d in found] == ["package org.apache.commons.lang3 does not exist"]  # not its uses
    assert len(client.messages) == 1 and "org.apache.commons.lang3" in client.messages[0].message
    write_module(SHOP, "app", APP_DEPENDENCIES)
    build_file_changed(client, SHOP / "app/pom.xml")
    await wait_for(
        lambda: client.diagnostics.get(uri) is not None and not client.diagnostics[uri],
        30,
        "the errors cleared",
    )
    close(client, uri)


async def test_a_dependency_not_downloaded_yet_is_named_once(client: LanguageClient):
    """Declared with a version the local repository lacks: the build would fetch it, javac here cannot.
    Nothing is published on the file; the message names the coordinates."""
    client.messages.clear()
    write_module(SHOP, "app", tuple(d.replace("5.9.2", "9.9.9") for d in APP_DEPENDENCIES))
    build_file_changed(client, SHOP / "app/pom.xml")
    uri = open_file(client, SHELF_TEST)
    assert await diagnostics(client, uri) == []
    await wait_for(lambda: client.messages, 30, "a message naming the missing dependency")
    assert "org.junit.jupiter:junit-jupiter-api:9.9.9" in client.messages[0].message
    assert len(client.messages) == 1
    close(client, uri)
    write_module(SHOP, "app", APP_DEPENDENCIES)
    build_file_changed(client, SHOP / "app/pom.xml")


ODD_NAMES = ["Odd Name.java", "a[b]#c.java", "Größe.java", "100%.java"]


@pytest.mark.parametrize("name", ODD_NAMES)
async def test_any_file_name_is_checked(client: LanguageClient, name: str):
    """Spaces, brackets, `#`, `%`, non-ASCII, in a folder whose name has them too, outside every module."""
    folder = SHOP / "scratch [1] #ü"
    folder.mkdir(exist_ok=True)
    path = folder / name
    uri = open_file(client, path, "class Scratch {\n    int one() {\n        return 1;\n    }\n}\n")
    assert await diagnostics(client, uri) == []
    change(client, uri, 'class Scratch {\n    int one() {\n        return "one";\n    }\n}\n')
    found = await diagnostics(client, uri)
    assert len(found) == 1 and "incompatible types" in found[0].message and found[0].range.start.line == 2
    close(client, uri)


async def test_diagnostics_off_and_fixes_for_another_extensions_errors(client: LanguageClient):
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"compilot": {"diagnostics": False}})
    )
    broken = SHELF.read_text().replace("return padded;", "return padded")
    uri = open_file(client, SHELF, broken)
    assert await diagnostics(client, uri) == []  # published empty: another extension shows errors
    line = broken.split("\n").index("        return padded")
    theirs = types.Diagnostic(
        range=types.Range(start=types.Position(line, 15), end=types.Position(line, 21)),
        message='Syntax error, insert ";" to complete BlockStatements',
        severity=types.DiagnosticSeverity.Error,
        source="Java",
    )
    actions = await asyncio.wait_for(
        client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=theirs.range,
                context=types.CodeActionContext(diagnostics=[theirs]),
            )
        ),
        30,
    )
    assert actions and actions[0].title.startswith("Fix to compile")
    resolved = await asyncio.wait_for(client.code_action_resolve_async(actions[0]), 60)
    assert resolved.edit is not None, resolved.title
    (edit,) = resolved.edit.document_changes[0].edits
    assert edit.new_text.strip().endswith(";") or edit.new_text == ";"
    close(client, uri)
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"compilot": {"diagnostics": True}})
    )
