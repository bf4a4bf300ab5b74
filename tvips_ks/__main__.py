"""``python -m tvips_ks``: the ``tvips-ks`` command line (see :mod:`tvips_ks.cli`)."""

import sys

from .cli import main

sys.exit(main())
