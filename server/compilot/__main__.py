import sys

from compilot.cli import main

sys.exit(main())
