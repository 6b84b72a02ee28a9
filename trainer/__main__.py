"""``python -m trainer --dataset PATH_OR_HUB_ID --output-dir DIR [...]``."""

import sys

if __name__ == "__main__":
    try:
        from .cli import main

        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C before training started (imports, dataset checks)
        print("interrupted", file=sys.stderr)
        sys.exit(130)
