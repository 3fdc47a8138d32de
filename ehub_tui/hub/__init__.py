"""The hub server side: who is signed in (``principal``, ``auth``), the hub's one engine, clock
and SOP library (``core``), and the HTTPS API in front of them (``app``, ``routes``, ``serve``).

Kept light on purpose: importing ``ehub_tui.hub`` pulls in neither FastAPI nor uvicorn, so the
in-process client (``ehub_tui.client.inprocess``) reaches ``hub.core`` and ``hub.auth`` cheaply.
Only ``hub.app``, ``hub.routes`` and ``hub.serve`` import the web stack.
"""
