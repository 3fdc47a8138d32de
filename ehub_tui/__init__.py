"""ehub-tui: a terminal app for NHS Primary Care Network eHubs."""

__version__ = "0.2.0.dev0"
