"""``python -m newsflow ...``: the same command line as the ``newsflow`` script.

The CLI lives in the composition root (``commands.cli``); this entry point only
hands over to it, and nothing imports this module.
"""

import sys

from commands.cli import main

sys.exit(main())
