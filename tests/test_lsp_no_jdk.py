"""No JDK: completions go on unchecked and say so (the README's promise), through the protocol."""

from __future__ import annotations

import os
import subprocess

import pytest

from bad_input import RawClient, _inline

pytestmark = pytest.mark.model

TEXT = "public class Main {\n    int twice(int x) {\n        return 2 * x;\n    }\n\n    void f() {\n        int n = \n    }\n}\n"


def test_without_a_jdk_completions_are_offered_unchecked_and_labelled(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = str(tmp_path)  # no javac anywhere
    client, process = RawClient.stdio([], tmp_path, subprocess.DEVNULL, env)
    options = {"samples": 2, "maxNewTokens": 12, "lineSeconds": 0}
    answer = client.request(
        "initialize",
        {
            "processId": None,
            "rootUri": tmp_path.as_uri(),
            "capabilities": {},
            "initializationOptions": options,
        },
        60,
    )
    assert "result" in answer
    client.notify("initialized", {})
    ready = client.wait(
        lambda m: m.get("method") == "compilot/status" and m["params"]["state"] != "loading", 0, 180
    )
    assert ready is not None and ready["params"]["state"] == "ready"
    uri = (tmp_path / "Main.java").as_uri()
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "java", "version": 1, "text": TEXT}},
    )

    inline = client.request("textDocument/inlineCompletion", _inline(uri, 6, 16), 120)
    assert inline["result"]["items"], "nothing offered without a JDK"
    listed = client.request(
        "textDocument/completion",
        {"textDocument": {"uri": uri}, "position": {"line": 6, "character": 16}},
        120,
    )
    items = listed["result"]["items"]
    assert items and all(item["detail"] == "not compile-checked" for item in items)

    said = [
        m["params"] for m in client.messages if m.get("method") in ("window/showMessage", "compilot/status")
    ]
    assert any("javac" in p.get("message", "") and "JAVA_HOME" in p.get("message", "") for p in said), said
    client.request("shutdown", None)
    client.notify("exit", None)
    assert process.wait(30) == 0
