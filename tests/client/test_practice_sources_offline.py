"""With the hub not answering, a practices import from a workstation is refused in a sentence
(nothing kept to send later: the admin runs it again), never a crash (issue 16)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from ehub_tui.client.http.client import HttpClient
from ehub_tui.client.practice_sources import OFFLINE_PRACTICES
from ehub_tui.client.service import ClientService
from ehub_tui.config import Settings
from ehub_tui.domain.practice_sources import ListSize, OdsPractice
from ehub_tui.errors import HubUnreachable


def _closed_port() -> int:
    with socket.socket() as s:  # a port nothing listens on once this closes
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_import_with_the_hub_away_is_refused_in_a_sentence(tmp_path: Path) -> None:
    client = HttpClient(
        f"https://127.0.0.1:{_closed_port()}", ca_file=None, device_id="dev-1", backoff=0.01
    )
    svc = ClientService(client, Settings(data_dir=tmp_path / "data"))
    try:
        with pytest.raises(HubUnreachable) as ods:
            svc.import_ods_practices([OdsPractice("Z99008", "New Surgery", "99Q", "A")], "U99001")
        assert str(ods.value) == OFFLINE_PRACTICES
        with pytest.raises(HubUnreachable) as sizes:
            svc.import_list_sizes("2026-10", [ListSize("Z99001", 1)])
        assert str(sizes.value) == OFFLINE_PRACTICES
    finally:
        svc.close()
