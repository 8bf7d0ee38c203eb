"""A test comm: widgets talk to a recorded fake front end instead of a browser."""

from __future__ import annotations

from typing import Any

import comm
import pytest


class RecordingComm(comm.base_comm.BaseComm):
    """Keeps every message the kernel side publishes (data + buffers), as a front end would see them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.published: list[dict[str, Any]] = []
        super().__init__(*args, **kwargs)

    def publish_msg(self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None,
                    **keys: Any) -> None:
        self.published.append({"msg_type": msg_type, "data": data,
                               "buffers": [bytes(b) for b in (buffers or [])]})


@pytest.fixture(autouse=True)
def test_comm(monkeypatch):
    """Route widget comms to :class:`RecordingComm`."""
    created: list[RecordingComm] = []

    def create_comm(*args: Any, **kwargs: Any) -> RecordingComm:
        c = RecordingComm(*args, **kwargs)
        created.append(c)
        return c

    monkeypatch.setattr(comm, "create_comm", create_comm)
    return created


class FrontEnd:
    """Drive a widget as its browser side would: custom messages with binary buffers."""

    def __init__(self, widget: Any) -> None:
        self.widget = widget

    def send(self, content: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        msg = {"content": {"data": {"method": "custom", "content": content}},
               "buffers": [memoryview(b) for b in (buffers or [])]}
        self.widget._handle_msg(msg)

    def received(self) -> list[tuple[dict[str, Any], list[bytes]]]:
        """Custom messages the kernel sent to the browser: (content, buffers)."""
        out = []
        for m in self.widget.comm.published:
            data = m["data"] or {}
            if data.get("method") == "custom":
                out.append((data["content"], m["buffers"]))
        return out

    def state_messages(self) -> list[dict[str, Any]]:
        return [m["data"] for m in self.widget.comm.published]


@pytest.fixture
def frontend():
    return FrontEnd
