"""Real Maven projects for the build-awareness tests: Debian's packaged jars and poms laid out as a user's
local repository, and a two-module reactor whose code uses them (`.ci/run` installs the packages)."""

from __future__ import annotations

import subprocess
from pathlib import Path

DEBIAN_REPO = Path("/usr/share/maven-repo")  # libguava-java, libcommons-lang3-java, junit5

PARENT = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.acme</groupId><artifactId>shop</artifactId><version>1.0</version><packaging>pom</packaging>
  <properties>
    <maven.compiler.release>11</maven.compiler.release>
    <guava.version>31.1-jre</guava.version>
  </properties>
  <modules><module>core</module><module>app</module></modules>
  <dependencyManagement><dependencies>
    <dependency><groupId>com.google.guava</groupId><artifactId>guava</artifactId><version>${guava.version}</version></dependency>
    <dependency><groupId>org.apache.commons</groupId><artifactId>commons-lang3</artifactId><version>3.12.0</version></dependency>
  </dependencies></dependencyManagement>
</project>
"""
MODULE = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent><groupId>org.acme</groupId><artifactId>shop</artifactId><version>1.0</version></parent>
  <artifactId>{name}</artifactId>
  <dependencies>
{dependencies}
  </dependencies>
</project>
"""
GUAVA = "<dependency><groupId>com.google.guava</groupId><artifactId>guava</artifactId></dependency>"
LANG3 = "<dependency><groupId>org.apache.commons</groupId><artifactId>commons-lang3</artifactId></dependency>"
CORE = "<dependency><groupId>org.acme</groupId><artifactId>core</artifactId><version>${project.version}</version></dependency>"
JUNIT = (
    "<dependency><groupId>org.junit.jupiter</groupId><artifactId>junit-jupiter-api</artifactId>"
    "<version>5.9.2</version><scope>test</scope></dependency>"
)
APP_DEPENDENCIES = (CORE, LANG3, JUNIT)

SOURCES = {
    "core/src/main/java/org/acme/core/Catalog.java": """package org.acme.core;

import com.google.common.base.Joiner;
import com.google.common.collect.ImmutableList;

public class Catalog {
    private final ImmutableList<String> titles;

    public Catalog(String... titles) {
        this.titles = ImmutableList.copyOf(titles);
    }

    public ImmutableList<String> titles() {
        return titles;
    }

    public String listing() {
        return Joiner.on(", ").join(titles);
    }
}
""",
    "app/src/main/java/org/acme/app/Shelf.java": """package org.acme.app;

import org.acme.core.Catalog;
import org.apache.commons.lang3.StringUtils;

public class Shelf {
    private final Catalog catalog;

    public Shelf(Catalog catalog) {
        this.catalog = catalog;
    }

    public String label(String title) {
        String padded = StringUtils.leftPad(title, 20);
        return padded;
    }

    public int size() {
        return catalog.titles().size();
    }
}
""",
    "app/src/test/java/org/acme/app/ShelfTest.java": """package org.acme.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.acme.core.Catalog;
import org.junit.jupiter.api.Test;

class ShelfTest {
    @Test
    void countsTitles() {
        Shelf shelf = new Shelf(new Catalog("Dune", "Emma"));
        assertEquals(2, shelf.size());
    }
}
""",
}


def user_home(tmp: Path) -> Path:
    """A HOME whose `~/.m2/repository` holds Debian's real jars and poms (linked: they are read-only)."""
    home = tmp / "home"
    (home / ".m2").mkdir(parents=True, exist_ok=True)
    repository = home / ".m2" / "repository"
    if not repository.exists():
        repository.symlink_to(DEBIAN_REPO, target_is_directory=True)
    return home


def maven_project(root: Path, app_dependencies: tuple[str, ...] = APP_DEPENDENCIES) -> Path:
    """The two-module reactor `shop` (core: Guava; app: core, Commons Lang, JUnit 5 tests) under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pom.xml").write_text(PARENT)
    write_module(root, "core", (GUAVA,))
    write_module(root, "app", app_dependencies)
    for name, text in SOURCES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def write_module(root: Path, name: str, dependencies: tuple[str, ...]) -> None:
    (root / name).mkdir(exist_ok=True)
    text = MODULE.format(name=name, dependencies="\n".join("    " + d for d in dependencies))
    (root / name / "pom.xml").write_text(text)


def javac(
    file: Path, classpath: tuple[str, ...], sourcepath: tuple[str, ...], out: Path
) -> subprocess.CompletedProcess:
    """An independent javac run (not Compilot's checker) with the given paths."""
    out.mkdir(parents=True, exist_ok=True)
    command = ["javac", "-proc:none", "-implicit:none", "-d", str(out)]
    command += ["-cp", ":".join(classpath), "-sourcepath", ":".join(sourcepath), str(file)]
    return subprocess.run(command, capture_output=True, text=True)
