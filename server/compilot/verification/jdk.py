"""Finding the JDK, and compiling CompilotChecker.java into the user's cache once per checker and JDK."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from compilot.cache import cache_dir

from .errors import CheckerError, JdkNotFoundError

CHECKER_CLASS = "CompilotChecker"
# The checker reuses javac's context through this JDK-internal package (~3x faster per check).
ADD_EXPORTS = "--add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED"
MIN_RELEASE = 11


@dataclass(frozen=True)
class Jdk:
    home: Path
    javac: Path
    java: Path
    version: str  # e.g. "17.0.15"

    @property
    def release(self) -> int:
        """The feature release, e.g. 17 (and 8 for "1.8.0_392")."""
        parts = self.version.split(".")
        return int(parts[1]) if parts[0] == "1" else int(re.match(r"\d+", parts[0]).group())


def find_jdk() -> Jdk:
    """The JDK under JAVA_HOME when it has javac, else the one whose javac is first on PATH."""
    candidates = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]) / "bin")
    javac_on_path = shutil.which("javac")
    if javac_on_path:
        candidates.append(Path(javac_on_path).resolve().parent)  # /usr/bin/javac links into the JDK
    for bin_dir in candidates:
        javac, java = _tool(bin_dir, "javac"), _tool(bin_dir, "java")
        if javac and java:
            jdk = Jdk(bin_dir.parent, javac, java, _version(bin_dir.parent, javac))
            if jdk.release < MIN_RELEASE:
                raise JdkNotFoundError(f"the JDK at {jdk.home} is Java {jdk.version}, too old")
            return jdk
    raise JdkNotFoundError("no javac found in JAVA_HOME or on PATH")


def _tool(bin_dir: Path, name: str) -> Path | None:
    for candidate in (bin_dir / name, bin_dir / f"{name}.exe"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _version(home: Path, javac: Path) -> str:
    """JAVA_VERSION from the JDK's `release` file; asking javac itself costs ~0.5 s, so only as a fallback."""
    release_file = home / "release"
    if release_file.is_file():
        match = re.search(r'^JAVA_VERSION="([^"]+)"', release_file.read_text(errors="replace"), re.M)
        if match:
            return match.group(1)
    try:
        out = subprocess.run([str(javac), "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise JdkNotFoundError(f"{javac} does not run ({e})") from e
    match = re.search(r"javac\s+(\S+)", out.stdout + out.stderr)
    if not match:
        raise JdkNotFoundError(f"{javac} -version printed no version")
    return match.group(1)


def checker_source() -> str:
    return resources.files(__package__).joinpath(f"java/{CHECKER_CLASS}.java").read_text(encoding="utf-8")


def cache_root() -> Path:
    return cache_dir() / "checker"


def build_checker(jdk: Jdk) -> Path:
    """The class directory of the compiled checker, compiled now unless an earlier run already did."""
    source = checker_source()
    key = hashlib.sha256(f"{source}\0{jdk.home}\0{jdk.version}".encode()).hexdigest()[:16]
    target = cache_root() / key
    if (target / f"{CHECKER_CLASS}.class").is_file():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # Compile into a private folder, then rename it into place: concurrent servers never see half a build.
        work = Path(tempfile.mkdtemp(prefix="build-", dir=target.parent))
    except OSError as e:
        raise CheckerError(f"cannot build the javac checker in {target.parent}: {e}") from e
    try:
        (work / f"{CHECKER_CLASS}.java").write_text(source, encoding="utf-8")
        command = [str(jdk.javac), ADD_EXPORTS, "-proc:none", "-nowarn", "-d", str(work / "classes")]
        done = subprocess.run(
            [*command, str(work / f"{CHECKER_CLASS}.java")], capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise CheckerError(f"compiling {CHECKER_CLASS}.java failed:\n{done.stdout}{done.stderr}")
        try:
            os.replace(work / "classes", target)
        except OSError:
            if not (target / f"{CHECKER_CLASS}.class").is_file():  # not merely another process winning
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target
