"""Fakes that stand in for the hub service by asking a real one.

A test that needs one call to be slow, counted or failing wraps the real service in a subclass of
:class:`ServiceProxy` that overrides just that method, and gives the proxy to the app. The live
service is never changed, so nothing else sharing it (another app, the test's own checks) sees
the slow or failing call.
"""

from __future__ import annotations

from typing import Any

from ehub_tui.service import HubService


class ServiceProxy:
    """Answers every attribute from ``inner`` (a real HubService) except what a subclass
    defines itself."""

    def __init__(self, inner: HubService) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        # only called for names this object does not have: everything not overridden
        return getattr(self.inner, name)
