"""Gradle builds read as text (compilot.project.gradle): every test builds its own cache under tmp_path and
passes gradle_home and maven_repo explicitly, so the real home directory is never read."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from compilot.project.gradle import gradle_modules, project_dependencies
from compilot.project.module import Module

# ---- helpers -------------------------------------------------------------------------------------------


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def jar(path: Path) -> Path:
    """A real (tiny) jar: a zip holding one class-named entry."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("example/A.class", b"\xca\xfe\xba\xbe")
    return path


def pom(
    group: str, artifact: str, version: str, deps: str = "", namespaced: bool = True, extra: str = ""
) -> str:
    ns = ' xmlns="http://maven.apache.org/POM/4.0.0"' if namespaced else ""
    return (
        f"<project{ns}><modelVersion>4.0.0</modelVersion><groupId>{group}</groupId>"
        f"<artifactId>{artifact}</artifactId><version>{version}</version>{extra}"
        f"<dependencies>{deps}</dependencies></project>"
    )


def dep(group: str, artifact: str, version: str, scope: str = "", optional: bool = False) -> str:
    return (
        f"<dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId><version>{version}</version>"
        + (f"<scope>{scope}</scope>" if scope else "")
        + ("<optional>true</optional>" if optional else "")
        + "</dependency>"
    )


def cache(home: Path, coordinate: str, pom_text: str | None = None) -> Path:
    """A jar (and its pom, in another hash folder, as Gradle stores them) in the Gradle cache."""
    group, artifact, version, *classifier = coordinate.split(":")
    base = home / "caches/modules-2/files-2.1" / group / artifact / version
    name = f"{artifact}-{version}" + (f"-{classifier[0]}" if classifier else "")
    if pom_text is not None:
        write(base / "f00d" / f"{artifact}-{version}.pom", pom_text)
    return jar(base / "0a1b2c" / f"{name}.jar")


def maven(repo: Path, coordinate: str) -> Path:
    group, artifact, version = coordinate.split(":")
    return jar(repo.joinpath(*group.split("."), artifact, version, f"{artifact}-{version}.jar"))


def by_name(modules: list[Module]) -> dict[str, Module]:
    return {m.name: m for m in modules}


def names(paths: tuple[str, ...]) -> list[str]:
    return [Path(p).name for p in paths]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "gradle-home"


@pytest.fixture
def m2(tmp_path: Path) -> Path:
    return tmp_path / "m2"


# ---- a Groovy multi-project build ----------------------------------------------------------------------

SETTINGS = """\
rootProject.name = 'shop'
include 'core', ':app'
include(':libs:util')
// include 'ghost'
/* include 'phantom' */
project(':app').projectDir = file('application')
"""

ROOT = """\
ext {
    guavaVersion = '31.1-jre'
}
subprojects {
    apply plugin: 'java'
    sourceCompatibility = 1.8
}
"""

CORE = """\
plugins { id 'java-library' }
def lang3 = '3.12.0'
repositories { mavenLocal(); maven { url 'https://repo.example.com/maven2' } }
dependencies {
    api "com.google.guava:guava:${guavaVersion}"
    implementation "org.apache.commons:commons-lang3:$lang3"
    compileOnly group: 'org.projectlombok', name: 'lombok', version: '1.18.30'
    annotationProcessor 'org.mapstruct:mapstruct-processor:1.5.5'
    runtimeOnly 'org.postgresql:postgresql:42.7.1'
    // implementation 'com.example:commented:1.0'
    /* implementation 'com.example:blocked:1.0' */
    implementation 'net.example:absent:9.9'
    implementation 'org.lwjgl:lwjgl:3.3.3:natives-linux'
    implementation files('libs/local.jar')
    implementation fileTree(dir: 'lib', include: ['*.jar'])
    testImplementation 'junit:junit:4.13.2'
    testRuntimeOnly 'org.junit.vintage:junit-vintage-engine:5.10.0'
}
"""

APP = """\
dependencies {
    implementation project(':core')
    testImplementation project(path: ':libs:util')
}
"""


@pytest.fixture
def shop(tmp_path: Path, home: Path, m2: Path) -> Path:
    root = tmp_path / "shop"
    write(root / "settings.gradle", SETTINGS)
    write(root / "build.gradle", ROOT)
    write(root / "gradle.properties", "org.gradle.jvmargs=-Xmx1g\n")
    write(root / "core/build.gradle", CORE)
    write(root / "application/build.gradle", APP)
    (root / "libs/util/src/main/java").mkdir(parents=True)  # no build file: included all the same
    for d in (
        "src/main/java",
        "src/test/java",
        "src/main/kotlin",
        "build/generated/sources/annotationProcessor/java/main",
    ):
        (root / "core" / d).mkdir(parents=True)
    (root / "core/build/classes/java/main").mkdir(parents=True)
    (root / "application/src/main/java").mkdir(parents=True)
    jar(root / "core/libs/local.jar")
    jar(root / "core/lib/a.jar")
    jar(root / "core/lib/b.jar")
    write(root / "core/lib/notes.txt", "not a jar")

    guava_deps = (
        dep("com.google.guava", "failureaccess", "${failureaccess.version}")
        + dep("com.google.guava", "listenablefuture", "${project.version}")
        + dep("com.google.code.findbugs", "jsr305", "3.0.2", optional=True)
        + dep("org.checkerframework", "checker-qual", "3.12.0", scope="test")
        + dep("com.example", "never-cached", "1.0")
        + dep("com.example", "from-parent", "${unknown.version}")
    )
    props = "<properties><failureaccess.version>1.0.1</failureaccess.version></properties>"
    cache(
        home,
        "com.google.guava:guava:31.1-jre",
        pom("com.google.guava", "guava", "31.1-jre", guava_deps, extra=props),
    )
    deep = dep("org.example", "deep", "2.0")
    cache(
        home,
        "com.google.guava:failureaccess:1.0.1",
        pom("com.google.guava", "failureaccess", "1.0.1", deep, namespaced=False),
    )
    cache(home, "org.example:deep:2.0")
    cache(home, "com.google.guava:listenablefuture:31.1-jre")
    cache(home, "com.google.code.findbugs:jsr305:3.0.2")
    cache(home, "org.checkerframework:checker-qual:3.12.0")
    cache(home, "org.projectlombok:lombok:1.18.30")
    cache(home, "org.mapstruct:mapstruct-processor:1.5.5")
    cache(home, "org.postgresql:postgresql:42.7.1")
    cache(home, "com.example:commented:1.0")
    cache(home, "com.example:blocked:1.0")
    cache(home, "org.lwjgl:lwjgl:3.3.3:natives-linux")
    cache(
        home,
        "junit:junit:4.13.2",
        pom("junit", "junit", "4.13.2", dep("org.hamcrest", "hamcrest-core", "1.3")),
    )
    cache(home, "org.hamcrest:hamcrest-core:1.3")
    cache(home, "org.junit.vintage:junit-vintage-engine:5.10.0")
    maven(m2, "org.apache.commons:commons-lang3:3.12.0")  # only in the Maven local repository
    return root


def shop_modules(shop: Path, home: Path, m2: Path) -> dict[str, Module]:
    return by_name(gradle_modules(shop, gradle_home=home, maven_repo=m2))


def test_modules_come_from_settings_with_names_and_roots(shop: Path, home: Path, m2: Path) -> None:
    modules = gradle_modules(shop, gradle_home=home, maven_repo=m2)
    assert [m.name for m in modules] == ["shop", "core", "app", "libs:util"]  # not the commented-out ones
    roots = {m.name: m.root for m in modules}
    assert roots == {
        "shop": str(shop),
        "core": str(shop / "core"),
        "app": str(shop / "application"),  # projectDir = file('application')
        "libs:util": str(shop / "libs/util"),
    }
    assert all(m.tool == "gradle" for m in modules)
    assert by_name(modules)["libs:util"].main_sources == (str(shop / "libs/util/src/main/java"),)


def test_root_name_defaults_to_the_folder(tmp_path: Path, home: Path, m2: Path) -> None:
    write(tmp_path / "solo/build.gradle", "apply plugin: 'java'\n")
    (tmp_path / "solo/src/main/java").mkdir(parents=True)
    [module] = gradle_modules(tmp_path / "solo", gradle_home=home, maven_repo=m2)
    assert (module.name, module.root) == ("solo", str(tmp_path / "solo"))
    assert module.main_sources == (str(tmp_path / "solo/src/main/java"),)


def test_source_roots_exist_and_skip_kotlin(shop: Path, home: Path, m2: Path) -> None:
    modules = shop_modules(shop, home, m2)
    core, app = modules["core"], modules["app"]
    assert core.main_sources == (
        str(shop / "core/src/main/java"),
        str(shop / "core/build/generated/sources/annotationProcessor/java/main"),
    )
    assert core.test_sources == (str(shop / "core/src/test/java"),)
    assert app.main_sources == (str(shop / "application/src/main/java"),)
    assert app.test_sources == ()  # src/test/java does not exist


def test_main_and_test_class_paths(shop: Path, home: Path, m2: Path) -> None:
    core = shop_modules(shop, home, m2)["core"]
    main = names(core.main_classpath)
    assert main == [
        "guava-31.1-jre.jar",  # ${guavaVersion} from the root's ext block
        "commons-lang3-3.12.0.jar",  # $lang3 from a def; found in the Maven local repository
        "lombok-1.18.30.jar",  # map notation, compileOnly
        "lwjgl-3.3.3-natives-linux.jar",  # a classifier
        "failureaccess-1.0.1.jar",  # transitive, a pom property
        "listenablefuture-31.1-jre.jar",  # transitive, ${project.version}
        "deep-2.0.jar",  # transitive of a transitive (a pom without a namespace)
        "local.jar",  # files()
        "a.jar",  # fileTree()
        "b.jar",
    ]
    assert core.test_classpath == core.main_classpath + tuple(
        p for p in core.test_classpath if Path(p).name in ("junit-4.13.2.jar", "hamcrest-core-1.3.jar")
    )
    assert names(core.test_classpath)[len(main) :] == ["junit-4.13.2.jar", "hamcrest-core-1.3.jar"]
    everything = " ".join(core.test_classpath)
    for absent in (
        "postgresql",
        "mapstruct-processor",
        "junit-vintage",
        "commented",
        "blocked",
        "jsr305",
        "checker-qual",
    ):
        assert absent not in everything  # runtimeOnly, annotationProcessor, comments, optional, test scope


def test_only_declared_misses_are_reported(shop: Path, home: Path, m2: Path) -> None:
    modules = shop_modules(shop, home, m2)
    assert modules["core"].missing == ("net.example:absent:9.9",)  # not com.example:never-cached (transitive)
    assert modules["app"].missing == ()


def test_project_dependency_puts_its_class_folder_and_api_on_the_path(
    shop: Path, home: Path, m2: Path
) -> None:
    app = shop_modules(shop, home, m2)["app"]
    assert app.main_classpath[0] == str(shop / "core/build/classes/java/main")
    assert "guava-31.1-jre.jar" in names(app.main_classpath)  # core's api
    assert "commons-lang3-3.12.0.jar" not in names(app.main_classpath)  # core's implementation
    assert "junit-4.13.2.jar" not in names(app.test_classpath)  # core's tests are its own


def test_project_dependencies(shop: Path) -> None:
    assert project_dependencies(shop) == {
        "shop": [],
        "core": [],
        "app": ["core", "libs:util"],
        "libs:util": [],
    }
    assert project_dependencies(shop, tests=False)["app"] == ["core"]


def test_release_from_subprojects_block(shop: Path, home: Path, m2: Path) -> None:
    modules = shop_modules(shop, home, m2)
    assert modules["core"].release == 8  # subprojects { sourceCompatibility = 1.8 }
    assert modules["shop"].release is None  # subprojects { } does not apply to the root


def test_build_files(shop: Path, home: Path, m2: Path) -> None:
    modules = shop_modules(shop, home, m2)
    assert modules["shop"].build_files == tuple(
        str(shop / n) for n in ("build.gradle", "settings.gradle", "gradle.properties")
    )
    assert modules["core"].build_files[:2] == (str(shop / "core/build.gradle"), str(shop / "build.gradle"))
    assert modules["libs:util"].build_files[0] == str(shop / "build.gradle")  # no script of its own


# ---- a Kotlin DSL build with a version catalog ---------------------------------------------------------

CATALOG = """\
[versions]
jackson = "2.15.2"
junit = "5.10.0"

[libraries]
jackson-databind = { module = "com.fasterxml.jackson.core:jackson-databind", version.ref = "jackson" }
junit-api = { group = "org.junit.jupiter", name = "junit-jupiter-api", version.ref = "junit" }
junit_params = "org.junit.jupiter:junit-jupiter-params:5.10.0"
spring-bom = { module = "org.springframework:spring-framework-bom", version = "6.0.0" }

[bundles]
testing = ["junit-api", "junit_params"]
"""

LIB = """\
plugins { `java-library` }
val commonsVersion = "1.16.0"
java { toolchain { languageVersion.set(JavaLanguageVersion.of(17)) } }
sourceSets["main"].java.srcDir("extra")
dependencies {
    implementation(platform(libs.spring.bom))
    implementation(enforcedPlatform("org.springframework.boot:spring-boot-dependencies:3.1.0"))
    implementation(libs.jackson.databind)
    implementation("commons-codec:commons-codec:${commonsVersion}")
    implementation("org.slf4j:slf4j-api") // version from the platform
    implementation(group = "com.h2database", name = "h2", version = "2.2.224")
    implementation("org.yaml:snakeyaml:${property("snakeyamlVersion")}")
    testImplementation(libs.bundles.testing)
}
"""

KTS_APP = """\
dependencies {
    implementation(projects.lib)
}
tasks.withType<JavaCompile> { options.release.set(11) }
"""


@pytest.fixture
def kts(tmp_path: Path, home: Path) -> Path:
    root = tmp_path / "kts"
    write(root / "settings.gradle.kts", 'rootProject.name = "kts-demo"\ninclude("lib", "app")\n')
    write(root / "gradle.properties", "snakeyamlVersion=2.2\n")
    write(root / "gradle/libs.versions.toml", CATALOG)
    write(root / "lib/build.gradle.kts", LIB)
    write(root / "app/build.gradle.kts", KTS_APP)
    (root / "lib/src/main/java").mkdir(parents=True)
    (root / "lib/extra").mkdir(parents=True)
    (root / "lib/build/classes/java/main").mkdir(parents=True)
    for coordinate in (
        "com.fasterxml.jackson.core:jackson-databind:2.15.2",
        "commons-codec:commons-codec:1.16.0",
        "org.slf4j:slf4j-api:1.9.0",
        "org.slf4j:slf4j-api:1.10.0",  # the highest by natural order, not by text
        "com.h2database:h2:2.2.224",
        "org.yaml:snakeyaml:2.2",
        "org.yaml:snakeyaml:2.10",  # what a version left unread would fall back to
        "org.junit.jupiter:junit-jupiter-api:5.10.0",
        "org.junit.jupiter:junit-jupiter-params:5.10.0",
        "org.springframework:spring-framework-bom:6.0.0",
        "org.springframework.boot:spring-boot-dependencies:3.1.0",
    ):
        cache(home, coordinate)
    return root


def test_kotlin_dsl_with_version_catalog(kts: Path, home: Path, m2: Path) -> None:
    modules = by_name(gradle_modules(kts, gradle_home=home, maven_repo=m2))
    assert list(modules) == ["kts-demo", "lib", "app"]
    lib = modules["lib"]
    assert names(lib.main_classpath) == [
        "jackson-databind-2.15.2.jar",  # libs.jackson.databind, version.ref
        "commons-codec-1.16.0.jar",  # ${commonsVersion} from a val
        "slf4j-api-1.10.0.jar",  # no version: the highest cached
        "h2-2.2.224.jar",  # named arguments
        "snakeyaml-2.2.jar",  # ${property("...")} from gradle.properties
    ]  # and no spring-framework-bom nor spring-boot-dependencies: platforms
    assert names(lib.test_classpath)[len(lib.main_classpath) :] == [
        "junit-jupiter-api-5.10.0.jar",  # a bundle: group/name entry
        "junit-jupiter-params-5.10.0.jar",  # a bundle: string entry
    ]
    assert lib.missing == ()
    assert lib.release == 17
    assert lib.main_sources == (str(kts / "lib/src/main/java"), str(kts / "lib/extra"))
    assert lib.build_files == tuple(
        str(kts / n)
        for n in (
            "lib/build.gradle.kts",
            "settings.gradle.kts",
            "gradle.properties",
            "gradle/libs.versions.toml",
        )
    )
    app = modules["app"]
    assert app.release == 11
    assert app.main_classpath == (str(kts / "lib/build/classes/java/main"),)  # projects.lib; lib has no api
    assert project_dependencies(kts) == {"kts-demo": [], "lib": [], "app": ["lib"]}


# ---- release notations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "release"),
    [
        ("sourceCompatibility = '11'", 11),
        ('sourceCompatibility = "11"', 11),
        ("sourceCompatibility = JavaVersion.VERSION_11", 11),
        ("sourceCompatibility = 1.8", 8),
        ("java { sourceCompatibility = JavaVersion.VERSION_1_8 }", 8),
        ("java {\n  toolchain {\n    languageVersion = JavaLanguageVersion.of(17)\n  }\n}", 17),
        ("java { toolchain { languageVersion.set(JavaLanguageVersion.of(21)) } }", 21),
        ("compileJava { options.release = 11 }", 11),
        ("tasks.withType(JavaCompile) { options.release.set(17) }", 17),
        ("kotlin { jvmToolchain(17) }", 17),
        ("ext.javaVersion = '15'\nsourceCompatibility = javaVersion", 15),
        ("targetCompatibility = '1.7'", 7),
        ("sourceCompatibility = 11\nsourceCompatibility = 17", 17),  # the last one wins
        ("// sourceCompatibility = 11", None),
        ("apply plugin: 'java'", None),
    ],
)
def test_release_notations(tmp_path: Path, home: Path, m2: Path, script: str, release: int | None) -> None:
    write(tmp_path / "p/build.gradle", script + "\n")
    [module] = gradle_modules(tmp_path / "p", gradle_home=home, maven_repo=m2)
    assert module.release == release


def test_allprojects_release_applies_unless_overridden(tmp_path: Path, home: Path, m2: Path) -> None:
    write(tmp_path / "p/settings.gradle", "include 'a', 'b'\n")
    write(tmp_path / "p/build.gradle", "allprojects {\n  sourceCompatibility = '17'\n}\n")
    write(tmp_path / "p/b/build.gradle", "sourceCompatibility = '11'\n")
    modules = by_name(gradle_modules(tmp_path / "p", gradle_home=home, maven_repo=m2))
    assert {n: m.release for n, m in modules.items()} == {"p": 17, "a": 17, "b": 11}


# ---- source sets ---------------------------------------------------------------------------------------


def test_declared_source_dirs(tmp_path: Path, home: Path, m2: Path) -> None:
    root = tmp_path / "p"
    write(
        root / "build.gradle",
        "sourceSets {\n  main {\n    java { srcDirs = ['src', 'gen'] }\n    resources { srcDirs = ['res'] }\n  }\n"
        "  test { java.srcDir 'tests' }\n}\n",
    )
    for d in ("src/main/java", "src/test/java", "gen", "res", "tests"):
        (root / d).mkdir(parents=True)
    [module] = gradle_modules(root, gradle_home=home, maven_repo=m2)
    assert module.main_sources == (str(root / "src"), str(root / "gen"))  # srcDirs = replaces src/main/java
    assert module.test_sources == (str(root / "src/test/java"), str(root / "tests"))  # srcDir adds


# ---- nothing to read, or nothing readable --------------------------------------------------------------


def test_a_folder_without_gradle_files(tmp_path: Path, home: Path, m2: Path) -> None:
    write(tmp_path / "p/pom.xml", "<project/>")
    (tmp_path / "p/src/main/java").mkdir(parents=True)
    assert gradle_modules(tmp_path / "p", gradle_home=home, maven_repo=m2) == []
    assert project_dependencies(tmp_path / "p") == {}


def test_garbage_never_raises(tmp_path: Path, home: Path, m2: Path) -> None:
    root = tmp_path / "p"
    write(root / "settings.gradle", b"include(\xff\xfe 'x\n")
    script = b"\x00\x89PNG\r\n}}}{{(\"'\ndependencies {\n  implementation 'g:a:1'\n  implementation(\n"
    write(
        root / "build.gradle", script + b"dependencies {\n" * 3000 + b'"${a' * 3000
    )  # unbalanced, read quickly
    write(root / "gradle/libs.versions.toml", "[libraries\nbroken = ")
    write(root / "gradle.properties", b"\xff=\xfe\n")
    cache(home, "g:a:1", "<project><dependencies><dependency>")  # a found jar with a broken pom
    modules = gradle_modules(root, gradle_home=home, maven_repo=m2)
    assert modules[0].name == "p"
    assert names(modules[0].main_classpath) == ["a-1.jar"]  # what could be read, was
