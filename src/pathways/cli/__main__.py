"""`python -m pathways.cli`: the `pathways` command (the guard keeps a re-import by worker processes inert)."""

from pathways.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
