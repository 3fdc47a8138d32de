"""The package list, which pyproject.toml cannot say on its own: ehub_tui's packages (found) and
ehub_tui.shipped_sops, a data-only package whose files are the repository's top-level sops/
folder (mapped in pyproject.toml). Everything else is in pyproject.toml."""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["ehub_tui", "ehub_tui.*"]), "ehub_tui.shipped_sops"])
