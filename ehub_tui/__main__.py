"""``python -m ehub_tui``: the same as the ``ehub-tui`` command (where the script is not on PATH,
or to be sure which interpreter's copy runs)."""

from ehub_tui.cli import main

main()
