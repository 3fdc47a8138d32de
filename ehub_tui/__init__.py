"""ehub-tui: a terminal app for NHS Primary Care Network eHubs."""

__version__ = "0.1.0"
