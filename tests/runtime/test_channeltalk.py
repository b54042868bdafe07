"""The Channel Talk client against the sandbox stand-in, over real HTTP on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cafehub.connectors.channeltalk import ChannelTalkClient, ChannelTalkConfig
from cafehub.connectors.errors import ApiError, ConfigError
from cafehub.sandbox.channeltalk import ChannelTalkStandIn
from cafehub.sandbox.server import _Server


@pytest.fixture
def channel() -> Iterator[tuple[ChannelTalkStandIn, str]]:
    stand_in = ChannelTalkStandIn()
    server = _Server(stand_in.app(), "127.0.0.1", 0)
    port = server.start()
    yield stand_in, f"http://127.0.0.1:{port}"
    server.stop()
    stand_in.close()


def client(stand_in: ChannelTalkStandIn, url: str, **extra: str) -> ChannelTalkClient:
    return ChannelTalkClient(ChannelTalkConfig(access_key=stand_in.access_key, access_secret=stand_in.access_secret,
                                               base_url=url, **extra))


def test_replies_notes_and_hand_off(channel: tuple[ChannelTalkStandIn, str]) -> None:
    stand_in, url = channel
    chat = stand_in.open_chat(language="ja")
    stand_in.user_says(chat, "注文をキャンセルしたい")
    with client(stand_in, url, handoff_manager_id="mgr-7") as ct:
        sent = ct.send_text(chat, ["<b>hello</b> & welcome"], request_id="r1")
        again = ct.send_text(chat, ["<b>hello</b> & welcome"], request_id="r1")
        assert sent.id == again.id  # a retried request is the same message
        ct.hand_off(chat, ["handed over: cancel failed"], request_id="r2")
        history = ct.messages(chat)
    public = stand_in.bot_messages(chat)
    assert [m.text for m in public] == ["&lt;b&gt;hello&lt;/b&gt; &amp; welcome"]
    assert [m.text for m in stand_in.bot_messages(chat, private=True)] == ["handed over: cancel failed"]
    assert stand_in.chats[chat].assignee_id == "mgr-7"
    assert [m["personType"] for m in history] == ["user", "bot", "bot"]


def test_wrong_credentials_are_refused(channel: tuple[ChannelTalkStandIn, str]) -> None:
    stand_in, url = channel
    chat = stand_in.open_chat()
    bad = ChannelTalkClient(ChannelTalkConfig(access_key="nope", access_secret="nope", base_url=url))
    with pytest.raises(ApiError) as caught:
        bad.send_text(chat, ["hi"], request_id="r")
    assert caught.value.status == 401
    assert "nope" not in str(caught.value)


def test_plain_http_only_on_loopback() -> None:
    with pytest.raises(ConfigError):
        ChannelTalkConfig(access_key="k", access_secret="s", base_url="http://api.example.com")
