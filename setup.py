"""The package list, which pyproject.toml cannot say on its own: ehub_tui's packages (found) and
two data-only packages whose files are top-level folders of the repository (mapped in
pyproject.toml): ehub_tui.shipped_sops (sops/) and ehub_tui.demo_fixtures (what `ehub-tui demo`
loads from fixtures/). Everything else is in pyproject.toml."""

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

DATA_ONLY = ("ehub_tui.shipped_sops", "ehub_tui.demo_fixtures")


class BuildPy(build_py):
    """build_py that installs no Python module from the data-only packages: fixtures/ holds the
    script that generates the fixtures (build_fixtures.py), which is for the repository, not
    for an installed ehub_tui."""

    def find_package_modules(self, package: str, package_dir: str) -> list[tuple[str, str, str]]:
        if package in DATA_ONLY:
            return []
        return list(super().find_package_modules(package, package_dir))


setup(
    packages=[*find_packages(include=["ehub_tui", "ehub_tui.*"]), *DATA_ONLY],
    cmdclass={"build_py": BuildPy},
)
