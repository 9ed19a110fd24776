"""What a workspace is built from: its modules, their source roots, class paths and Java release.

Read from the build's own files (Maven poms, Gradle scripts, Eclipse `.classpath`, `lib/` jars) and the
local artifact caches they point into. Nothing here runs a build's plugins or its code.
"""
