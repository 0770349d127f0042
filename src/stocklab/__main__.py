"""`python -m stocklab` runs the `stocklab` command."""

from stocklab.cli import main

main()
