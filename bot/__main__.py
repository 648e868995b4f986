"""`python -m bot` is the same program as the `hmisbot` console script."""

from bot.cli import main

main()
