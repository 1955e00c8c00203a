"""``python -m latentforge`` (and ``torchrun -m latentforge``) run the command line."""

import sys

from latentforge.cli import main

sys.exit(main())
