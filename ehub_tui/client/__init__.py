"""The workstation side of the hub: one ``HubClient`` interface (``protocol``) with two
implementations — in-process (``inprocess``: the embedded hub, no sockets) and HTTPS (``http``) —
and the ``ClientService`` facade (``service``) the app and the CLI use without learning which one
they hold. ``open.open_client`` is the only place that decides.
"""
