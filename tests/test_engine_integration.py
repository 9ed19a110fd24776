"""The whole pipeline with the real embedded model and real javac: whatever is offered compiles."""

import json
from pathlib import Path

import pytest

from compilot.engine import Engine
from compilot.settings import Settings
from javac_util import javac_errors

HUMANEVAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "humanevalx_java.jsonl"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "Fibonacci.java"

pytestmark = pytest.mark.model


@pytest.fixture(scope="module", params=["torch", "llamacpp", "openai"])
def engine(request, embedded_model_dir):
    """The pipeline on each backend: the openai one against a real llama.cpp server process on 127.0.0.1."""
    endpoint = request.getfixturevalue("llama_server")[0] if request.param == "openai" else ""
    engine = Engine(
        Settings(samples=3, max_new_tokens=32, max_block_tokens=96, backend=request.param, endpoint=endpoint)
    )
    engine.load()
    yield engine
    engine.close()


def documents() -> list[tuple[str, str, int]]:
    """(name, text, cursor offset): HumanEval-X method headers (block bodies) and lines of the example file."""
    cases = []
    with HUMANEVAL.open() as f:
        for line in list(f)[:3]:
            problem = json.loads(line)
            cases.append((problem["task_id"], problem["prompt"], len(problem["prompt"])))
    example = EXAMPLE.read_text()  # compiles but for `sum`'s empty body, the block case below
    finished = example.replace("numbers) {\n    }", "numbers) {\n        return 0;\n    }")
    line = finished.index("long next = a + b;\n") + len("long next = a + b;\n") + 12
    cases.append(("Fibonacci:12", finished, line))
    cases.append(("Fibonacci:sum", example, example.index("numbers) {\n") + len("numbers) {")))
    return cases


def closed(source: str) -> str:
    """HumanEval prompts end inside an open class: close it the way the test harness does."""
    return source if source.count("{") <= source.count("}") else source + "\n}\n"


def test_every_offered_completion_compiles_under_independent_javac(engine):
    offered = 0
    for name, text, offset in documents():
        result = engine.complete(text, offset, filename="Solution.java" if "/" in name else "Fibonacci.java")
        assert result.checked, result.message
        for item in result.items:
            offered += 1
            completed = closed(text[:offset] + item.text + text[offset:])
            assert javac_errors(completed) == "", f"{name}: offered text does not compile:\n{item.text}"
    assert offered > 0, "no case got a completion: the test would prove nothing"


def test_checking_off_says_so_and_offers_unchecked_text(engine, embedded_model_dir):
    name, text, offset = documents()[3]
    unchecked = Engine(Settings(samples=1, max_new_tokens=16, verify=False), backend=engine.backend)
    result = unchecked.complete(text, offset)
    assert not result.checked
    assert all(item.verdict == "unchecked" for item in result.items)
