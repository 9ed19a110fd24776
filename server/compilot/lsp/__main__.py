"""`python -m compilot.lsp`: the language server over stdio (same options as `compilot serve`)."""

import sys

from compilot.lsp.server import main

sys.exit(main())
