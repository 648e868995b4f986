"""`python -m bot` is the same program as the `hmisbot` console script."""

from bot.cli import main

# The guard matters: the document sandbox starts its workers with forkserver, which
# re-imports the main module; without it every worker would run the CLI again.
if __name__ == "__main__":
    main()
