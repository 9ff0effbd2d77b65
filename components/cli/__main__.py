"""`python -m openhands_zai.cli`: the same as the `openhands-zai` command."""

import sys

from .main import main

sys.exit(main())
