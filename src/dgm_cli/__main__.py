"""Entry point for ``python -m dgm_cli``."""

from dgm_cli.cli import main

main()
