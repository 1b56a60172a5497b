"""Run the command line as `python -m mediacheck`."""

import sys

from mediacheck.cli import main

sys.exit(main())
