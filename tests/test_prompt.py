"""The prompt built to be reused: a file context that stays put wherever the cursor is in the class, then the
enclosing member from its start to the cursor."""

from __future__ import annotations

from compilot.context import classify
from compilot.context.prompt import document_prompt
from java_samples import STACK

FILE = STACK.replace(
    "public class Stack {", "/** A stack of strings. */\npublic class Stack {\n    // the items, top last"
).replace("    public void push", "    /** Pushes one item. */\n    public void push")


def prompt_at(text: str, marker: str, after: int = 0, **kwargs) -> str:
    return classify(text, text.index(marker) + after, **{"prompt_style": "outline", **kwargs}).prefix


def test_the_file_context_outlines_every_member_and_the_member_is_whole():
    prompt = prompt_at(FILE, "        items.remove")
    assert "public void push(String item) { ... }" in prompt
    assert "public int size() { ... }" in prompt  # after the cursor: the model learns what exists below
    assert "private final List<String> items = new ArrayList<>();" in prompt
    assert "// the items" not in prompt and "A stack of strings" not in prompt  # comments dropped there
    assert prompt.endswith("    public String pop() {\n        String top = items.get(items.size() - 1);\n")
    assert "items.add(item);" not in prompt  # other members' bodies are elided
    assert "}\n}" not in prompt  # the class is left open: the member continues it


def test_jumps_inside_the_class_share_the_file_context_up_to_the_first_member():
    """The member at the cursor is left out of the outline (it follows whole), so two places share the file
    context up to the first of their members, and what didOpen primed up to the member jumped to."""
    in_pop = prompt_at(FILE, "        items.remove")
    in_size = prompt_at(FILE, "        return n;")
    context = document_prompt(FILE, 3000)
    shared = context[: context.index("    public String pop() { ... }")]
    assert in_pop.startswith(shared) and in_size.startswith(shared)
    assert "public String pop() { ... }" not in in_pop and "public String pop() { ... }" in in_size
    assert "public int size() { ... }" in in_pop and "public int size() { ... }" not in in_size
    assert in_size[len(shared) :].count("public int size()") == 1


def test_a_keystroke_extends_the_prompt_by_itself():
    offset = FILE.index("        return n;") + len("        ret")
    typed = FILE[:offset] + "u" + FILE[offset:]
    before = classify(FILE, offset, prompt_style="outline").prefix
    after = classify(typed, offset + 1, prompt_style="outline").prefix
    assert after == before + "u"


def test_an_edit_in_another_body_keeps_the_file_context_and_a_signature_edit_changes_it():
    context = document_prompt(FILE, 3000)
    edited_body = FILE.replace("items.add(item);", "items.add(0, item);")
    assert document_prompt(edited_body, 3000) == context
    renamed = FILE.replace("public int size()", "public int count()")
    assert "public int count() { ... }" in document_prompt(renamed, 3000)


def test_the_javadoc_of_the_enclosing_member_is_kept():
    prompt = prompt_at(FILE, "        items.add")
    assert prompt.endswith("    /** Pushes one item. */\n    public void push(String item) {\n")


def test_a_nested_class_is_reopened_after_the_outline():
    text = (
        "class Outer {\n    int a;\n    static class Inner {\n        int b;\n        void f() {\n"
        "            b = 1;\n        }\n        void g() {\n            b = 2;\n        }\n    }\n"
        "    void h() {\n        a = 3;\n    }\n}\n"
    )
    prompt = prompt_at(text, "            b = 2;")
    assert "void h() { ... }" in prompt
    assert prompt.endswith("    static class Inner {\n        void g() {\n")
    assert "void f() { ... }" in prompt


def test_a_long_member_keeps_its_header_and_a_tail_that_moves_in_steps():
    lines = "".join(f"        int v{i} = {i};\n" for i in range(200))
    text = "class A {\n    void big() {\n" + lines + "    }\n}\n"
    end = text.index("    }\n}")
    one = classify(text, end, prompt_chars=1000, prompt_style="outline").prefix
    two = classify(text, end - 20, prompt_chars=1000, prompt_style="outline").prefix
    assert "    void big() {\n" in one
    member = one[one.index("    void big() {\n") :]
    assert len(member) <= 500 + len("    void big() {\n")
    start = member.split("\n")[1]
    assert start in two  # the cut did not move for a cursor 20 characters earlier


def test_the_window_style_is_the_text_before_the_cursor():
    offset = FILE.index("        items.remove")
    assert classify(FILE, offset, prompt_style="window").prefix == FILE[:offset]


def test_deep_nesting_still_gets_a_prompt():
    text = "class A {\n    void f() {\n" + "{" * 5000 + "\n        int x = 1;\n" + "}" * 5000 + "\n    }\n}\n"
    ctx = classify(text, text.index("        int x"), prompt_style="outline")
    assert ctx.completes and "void f() {" in ctx.prefix


def test_a_huge_line_is_cut_to_the_budget():
    text = "class A {\n    void f() {\n        int x = " + "1 + " * 50_000 + "1;\n    }\n}\n"
    offset = text.index("1;\n    }")
    prompt = classify(text, offset, prompt_chars=1000, prompt_style="outline").prefix
    assert len(prompt) < 2000 and prompt.endswith("1 + 1 + ")
