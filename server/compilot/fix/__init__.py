"""Fix to compile: verified repairs for javac errors (rules, imports, the model regenerating a line).

Plain functions with no LSP in them; the language server's code action and `compilot fix` both call these.
"""

from compilot.fix.edits import Fix
from compilot.fix.finder import find_fixes, fixes_for_file

__all__ = ["Fix", "find_fixes", "fixes_for_file"]
