"""``python -m dataset_builder --help``."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
