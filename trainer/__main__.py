"""``python -m trainer --dataset PATH_OR_HUB_ID --output-dir DIR [...]``."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
