"""``python -m ehub_tui.cli``: the same as the ``ehub-tui`` command."""

from ehub_tui.cli import main

main()
