"""`python -m fh_anywidget`: the `fh-anywidget` command."""

import sys

from .cli import main

sys.exit(main())
