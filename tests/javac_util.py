"""An independent javac, run as its own process: the referee for what the engine claims compiles."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import zipfile
from pathlib import Path


def javac_errors(source: str) -> str:
    """javac's error output for `source` as one file ('' when it compiles), named after its public class."""
    match = re.search(r"public\s+(?:final\s+|abstract\s+)*(?:class|interface|enum|record)\s+(\w+)", source)
    name = match.group(1) if match else "Main"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{name}.java"
        path.write_text(source, encoding="utf-8")
        done = subprocess.run(
            ["javac", "-proc:none", "-cp", "", "-d", folder, "-encoding", "UTF-8", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    return "" if done.returncode == 0 else (done.stdout + done.stderr)


def build_processor_jar(tmp_path: Path, marker: Path) -> Path:
    """A jar whose annotation processor, when javac runs it, creates `marker`."""
    src = tmp_path / "proc"
    src.mkdir()
    (src / "Spy.java").write_text(
        f"""\
import java.nio.file.*;
import java.util.Set;
import javax.annotation.processing.*;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.TypeElement;

@SupportedAnnotationTypes("*")
public class Spy extends AbstractProcessor {{
    @Override
    public synchronized void init(ProcessingEnvironment env) {{
        super.init(env);
        try {{
            Files.writeString(Path.of({json.dumps(str(marker))}), "ran");
        }} catch (Exception e) {{
            throw new RuntimeException(e);
        }}
    }}

    @Override
    public SourceVersion getSupportedSourceVersion() {{
        return SourceVersion.latestSupported();
    }}

    @Override
    public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {{
        return false;
    }}
}}
"""
    )
    subprocess.run(["javac", "-d", str(src), str(src / "Spy.java")], check=True)
    jar = tmp_path / "proc.jar"
    with zipfile.ZipFile(jar, "w") as z:
        z.write(src / "Spy.class", "Spy.class")
        z.writestr("META-INF/services/javax.annotation.processing.Processor", "Spy\n")
    return jar
