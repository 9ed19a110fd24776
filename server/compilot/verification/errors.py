"""Exceptions of the javac checker, in their own module so that every part of verification can raise them."""

from __future__ import annotations


class CheckerError(RuntimeError):
    """The javac checker could not answer: it timed out, crashed or could not start. It restarts next call."""


class JdkNotFoundError(CheckerError):
    """No usable JDK: verification needs javac, which a plain JRE lacks."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"{detail}. Compilot checks completions with javac: install a JDK 11+ "
            "(Debian: apt-get install openjdk-17-jdk-headless) or set JAVA_HOME"
        )
