"""`python -m server` runs the CLI."""

from server.cli import main

main()
