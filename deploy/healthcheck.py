"""The container's HEALTHCHECK: GET /v1/health from the hub server inside the container, over TLS
checked against the trust's CA, with the certificate's own name.

The server's certificate names the hub (hub.pcn.nhs.uk), not "localhost", so the check connects to
127.0.0.1 but asks for, and checks, the certificate's name: no `curl --insecure`, and nothing to
install in the image (standard library only).

Environment (all optional):
  EHUB_HEALTHCHECK_CA    the CA certificate (PEM)        default /etc/ehub-tui/tls/ca.crt
  EHUB_HEALTHCHECK_NAME  the name on the certificate     default localhost
  EHUB_TUI_HUB_LISTEN_PORT  the port the hub listens on  default 8443

Exit 0 when the hub answers 200, else 1 with one line on stderr saying why.
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import sys


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1 whose TLS handshake names (and checks) ``server_name``."""

    def __init__(self, port: int, server_name: str, context: ssl.SSLContext) -> None:
        super().__init__(server_name, port, context=context, timeout=5)
        self._ssl_context = context
        self._server_name = server_name

    def connect(self) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = self._ssl_context.wrap_socket(sock, server_hostname=self._server_name)


def main() -> int:
    """Ask the hub for /v1/health; 0 if it says 200."""
    ca = os.environ.get("EHUB_HEALTHCHECK_CA", "/etc/ehub-tui/tls/ca.crt")
    name = os.environ.get("EHUB_HEALTHCHECK_NAME", "localhost")
    port_text = os.environ.get("EHUB_TUI_HUB_LISTEN_PORT", "8443")
    if not port_text.isdigit():
        print(
            f"hub health check: EHUB_TUI_HUB_LISTEN_PORT={port_text!r} is not a port",
            file=sys.stderr,
        )
        return 1
    port = int(port_text)
    try:
        context = ssl.create_default_context(cafile=ca)
        conn = _PinnedHTTPS(port, name, context)
        conn.request("GET", "/v1/health")
        status = conn.getresponse().status
        conn.close()
    except (OSError, ssl.SSLError, http.client.HTTPException) as e:
        where = f"127.0.0.1:{port} as {name}, CA {ca}"
        print(f"hub health check ({where}) failed: {e}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"hub health check: /v1/health answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
