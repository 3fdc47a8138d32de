"""The data that ships with ehub-tui: the default SOPs and the demo hub's fixtures.

Both are installed inside the package as data-only packages (pyproject.toml maps the
repository's ``sops/`` to ``ehub_tui.shipped_sops`` and ``fixtures/`` to
``ehub_tui.demo_fixtures``; setup.py lists them), and found with ``importlib.resources``, so an
installed wheel (``pipx install``) has them wherever it is run from. A source checkout that was
not installed with them (an older editable install, or ``PYTHONPATH=.``) uses the repository's
own folders. Never a folder in the current directory.

A leaf: nothing from ehub_tui is imported here.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SOPS_PACKAGE = "ehub_tui.shipped_sops"
FIXTURES_PACKAGE = "ehub_tui.demo_fixtures"
# a file each folder always holds: found through importlib.resources, it also names the folder
# as a real path (a data package without __init__.py is a namespace package, whose root
# importlib.resources answers as a MultiplexedPath, not a Path)
SOPS_MARKER = "red-flags.sop.yaml"
FIXTURES_MARKER = "practices.yaml"
_PACKAGE = Path(__file__).resolve().parent  # ehub_tui itself
_CHECKOUT = _PACKAGE.parent  # the repository, when run from a source checkout


class ResourceMissing(Exception):
    """The installed package lacks data it ships with (a broken install); says which."""


def _installed(package: str, marker: str) -> Path | None:
    """The folder of a data package inside the installed ehub_tui, or None."""
    try:
        found = resources.files(package).joinpath(marker)
    except (ModuleNotFoundError, TypeError):
        return None
    # a wheel installs plain files, so this is a Path; a zipped install would not be, and the
    # loaders need real files: treat it as absent rather than hand out a path that is not there
    if isinstance(found, Path) and found.is_file():
        return found.parent
    return None


def _checkout(folder: str, marker: str) -> Path | None:
    """The repository's own folder, when ehub_tui runs from a source checkout."""
    path = _CHECKOUT / folder
    if (_CHECKOUT / "pyproject.toml").is_file() and (path / marker).is_file():
        return path
    return None


def shipped_sops_dir() -> Path:
    """The SOPs shipped with ehub-tui (a new hub is seeded from them, and the red-flag SOP is
    the last resort when no published version of it loads).

    Never raises: a broken install that lacks them gets the folder they belong in, which holds
    no SOPs, and the SOP library says so ("no SOPs are published") as it always has.
    """
    return (
        _installed(SOPS_PACKAGE, SOPS_MARKER)
        or _checkout("sops", SOPS_MARKER)
        or _PACKAGE / SOPS_PACKAGE.rpartition(".")[2]
    )


def demo_fixtures_dir() -> Path:
    """The demo hub's fixtures: ``practices.yaml`` and the supplier files under ``oc/``."""
    found = _installed(FIXTURES_PACKAGE, FIXTURES_MARKER) or _checkout("fixtures", FIXTURES_MARKER)
    if found is None:
        raise ResourceMissing(
            f"the demo fixtures shipped with ehub-tui are missing ({FIXTURES_PACKAGE} has no "
            f"{FIXTURES_MARKER}): reinstall ehub-tui"
        )
    return found
