"""Compilot: Java completions from a small local model, kept only when javac accepts them.

Data flows context -> generation -> verification -> ranking -> front ends (CLI, LSP).
"""

__version__ = "0.1.0"
