"""The HubClient over HTTPS to ``ehub-tui hub serve`` — the only package that imports httpx.

``client`` holds :class:`HttpClient` (one method per hub operation); ``transport`` how each
request is made: TLS from ``hub_ca_file`` or the system's CAs, the bearer token and this device's
id on every call, retries only for calls safe to repeat, refusals raised again as the
``ehub_tui.errors`` class the hub named, HubUnreachable (naming the hub's URL) when it cannot be
reached, the hub's clock from every reply, and a callback when the user's role changes or the hub
ends their sign-in. Neither the token nor a password is ever logged.
"""

from ehub_tui.client.http.client import HttpClient
from ehub_tui.client.http.transport import HubConnection, ssl_context

__all__ = ["HttpClient", "HubConnection", "ssl_context"]
