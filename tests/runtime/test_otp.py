"""One-time codes on both stores: delivered over real HTTP/SMTP, brute force, replay, races, limits, logs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from cafehub.connectors.mail import SmtpConfig, SmtpMailer
from cafehub.connectors.retry import RetryPolicy, no_jitter
from cafehub.connectors.sms import SmsClient, SmsConfig
from cafehub.runtime.identity import (
    Contact,
    EmailCodeSender,
    MemoryCodeStore,
    OtpPolicy,
    OtpSecretError,
    OtpService,
    RedisCodeStore,
    RoutingSender,
    SmsCodeSender,
    load_secret,
)
from cafehub.sandbox.messaging import SmsOutbox, SmtpSink

SECRET = b"s" * 32
PHONE = Contact("sms", "+821055501234")
EMAIL = Contact("email", "minji@example.com")
FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, jitter=no_jitter)


class Clock:
    def __init__(self) -> None:
        self.ms = 1_800_000_000_000

    def __call__(self) -> int:
        return self.ms

    def advance(self, seconds: float) -> None:
        self.ms += int(seconds * 1000)


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        return MemoryCodeStore()
    client = request.getfixturevalue("redis_client")
    return RedisCodeStore(client, prefix=client.test_prefix)


@pytest.fixture
def sms(sms_outbox: tuple[SmsOutbox, str]) -> Iterator[tuple[SmsOutbox, SmsClient]]:
    outbox, url = sms_outbox
    client = SmsClient(SmsConfig(base_url=url, api_key=outbox.api_key, retry=FAST))
    yield outbox, client
    client.close()


def service(store: Any, sms_client: SmsClient, clock: Clock, sink: SmtpSink | None = None, **policy: Any) -> OtpService:
    email = EmailCodeSender(SmtpMailer(SmtpConfig(host=sink.host, port=sink.port, security="none"))) if sink else None
    sender = RoutingSender(SmsCodeSender(sms_client), email or SmsCodeSender(sms_client))
    return OtpService(store, sender, SECRET, policy=OtpPolicy(**policy), clock_ms=clock)


def test_a_code_arrives_by_sms_and_verifies_once(store: Any, sms: tuple[SmsOutbox, SmsClient]) -> None:
    outbox, client = sms
    otp = service(store, client, Clock())
    assert otp.send("demo", PHONE, lang="ko").ok
    code = outbox.last_code(PHONE.address)
    assert "인증번호" in outbox.to(PHONE.address)[-1].text
    assert otp.verify("demo", PHONE, code).ok
    assert otp.verify("demo", PHONE, code).status == "none"  # replay


def test_a_code_arrives_by_email(store: Any, sms: tuple[SmsOutbox, SmsClient], smtp_sink: SmtpSink) -> None:
    otp = service(store, sms[1], Clock(), smtp_sink)
    assert otp.send("demo", EMAIL, lang="ja").ok
    message = smtp_sink.wait(EMAIL.address)[-1]
    assert "認証コード" in message.text
    assert message.code is not None
    assert otp.verify("demo", EMAIL, message.code).ok


def test_brute_force_stops_after_five_tries(store: Any, sms: tuple[SmsOutbox, SmsClient]) -> None:
    outbox, client = sms
    otp = service(store, client, Clock())
    otp.send("demo", PHONE)
    code = outbox.last_code(PHONE.address)
    wrong = [f"{(int(code) + k) % 1_000_000:06d}" for k in range(1, 6)]
    results = [otp.verify("demo", PHONE, guess) for guess in wrong]
    assert [r.tries_left for r in results] == [4, 3, 2, 1, 0]
    assert results[-1].status == "locked"
    assert otp.verify("demo", PHONE, code).status == "locked"  # the right code no longer works


def test_codes_expire_after_three_minutes(store: Any, sms: tuple[SmsOutbox, SmsClient]) -> None:
    outbox, client = sms
    clock = Clock()
    otp = service(store, client, clock)
    otp.send("demo", PHONE)
    code = outbox.last_code(PHONE.address)
    clock.advance(179)
    assert otp.verify("demo", PHONE, "000000" if code != "000000" else "111111").status == "wrong"
    clock.advance(1.001)
    assert otp.verify("demo", PHONE, code).status == "expired"


def test_resend_cooldown_and_hourly_cap(store: Any, sms: tuple[SmsOutbox, SmsClient]) -> None:
    outbox, client = sms
    clock = Clock()
    otp = service(store, client, clock)
    assert otp.send("demo", PHONE).ok
    refused = otp.send("demo", PHONE)
    assert (refused.status, refused.retry_after_seconds) == ("cooldown", 30)
    for _ in range(4):
        clock.advance(30)
        assert otp.send("demo", PHONE).ok
    clock.advance(30)
    capped = otp.send("demo", PHONE)
    assert capped.status == "capped"
    assert 0 < capped.retry_after_seconds <= 3600 - 150
    assert len(outbox.to(PHONE.address)) == 5
    first = outbox.to(PHONE.address)[0].code
    assert first is not None
    assert otp.verify("demo", PHONE, first).status == "wrong"
    clock.advance(3600)
    assert otp.send("demo", PHONE).ok


def test_each_shop_and_contact_has_its_own_codes(store: Any, sms: tuple[SmsOutbox, SmsClient]) -> None:
    outbox, client = sms
    otp = service(store, client, Clock())
    otp.send("demo", PHONE)
    code = outbox.last_code(PHONE.address)
    assert otp.verify("other-shop", PHONE, code).status == "none"
    assert otp.verify("demo", Contact("sms", "+821055509999"), code).status == "none"
    assert otp.verify("demo", PHONE, code).ok


def test_concurrent_correct_answers_verify_exactly_once(store: Any, sms: tuple[SmsOutbox, SmsClient]) -> None:
    outbox, client = sms
    otp = service(store, client, Clock())
    otp.send("demo", PHONE)
    code = outbox.last_code(PHONE.address)
    barrier = threading.Barrier(8)
    results: list[str] = []

    def answer() -> None:
        barrier.wait()
        results.append(otp.verify("demo", PHONE, code).status)

    threads = [threading.Thread(target=answer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("verified") == 1


def test_a_failed_send_leaves_no_code_and_no_cooldown(store: Any, sms: tuple[SmsOutbox, SmsClient]) -> None:
    outbox, client = sms
    otp = service(store, client, Clock())
    outbox.fail_next(1, status=400)
    assert otp.send("demo", PHONE).status == "failed"
    assert otp.verify("demo", PHONE, "123456").status == "none"
    assert otp.send("demo", PHONE).ok


def test_only_keyed_hashes_are_stored(redis_client: Any, sms: tuple[SmsOutbox, SmsClient]) -> None:
    outbox, client = sms
    otp = service(RedisCodeStore(redis_client, prefix=redis_client.test_prefix), client, Clock())
    otp.send("demo", PHONE)
    code = outbox.last_code(PHONE.address)
    dump = b""
    for key in redis_client.scan_iter(f"{redis_client.test_prefix}:*"):
        dump += key
        kind = redis_client.type(key)
        if kind == b"hash":
            dump += b"".join(k + v for k, v in redis_client.hgetall(key).items())
        elif kind == b"string":
            dump += redis_client.get(key)
        elif kind == b"zset":
            dump += b"".join(redis_client.zrange(key, 0, -1))
    assert code.encode() not in dump
    for needle in (b"1055501234", b"55501234", SECRET):
        assert needle not in dump


def test_logs_hold_no_code_phone_or_secret(store: Any, sms: tuple[SmsOutbox, SmsClient],
                                           caplog: pytest.LogCaptureFixture) -> None:
    outbox, client = sms
    caplog.set_level(logging.DEBUG)
    otp = service(store, client, Clock())
    otp.send("demo", PHONE)
    code = outbox.last_code(PHONE.address)
    otp.verify("demo", PHONE, "999999" if code != "999999" else "888888")
    otp.verify("demo", PHONE, code)
    text = caplog.text + repr(otp)
    assert caplog.records
    for needle in (code, "55501234", "5550-1234", SECRET.decode()):
        assert needle not in text


def test_the_secret_must_be_long_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAFEHUB_OTP_SECRET", raising=False)
    with pytest.raises(OtpSecretError):
        load_secret()
    with pytest.raises(OtpSecretError, match="too short"):
        load_secret("short")
    assert load_secret("ab" * 32) == bytes.fromhex("ab" * 32)
    assert len(load_secret(allow_random=True)) == 32
    with pytest.raises(OtpSecretError):
        OtpService(MemoryCodeStore(), RoutingSender(None, None), b"x" * 8)  # type: ignore[arg-type]


def test_codes_are_six_digits_and_vary(sms: tuple[SmsOutbox, SmsClient]) -> None:
    outbox, client = sms
    clock = Clock()
    otp = service(MemoryCodeStore(), client, clock, max_sends_per_hour=1000, resend_cooldown_seconds=0)
    codes = set()
    for _ in range(40):
        assert otp.send("demo", PHONE).ok
    for message in outbox.to(PHONE.address):
        assert message.code is not None
        assert len(message.code) == 6
        codes.add(message.code)
    assert len(codes) >= 38  # 40 draws from a million: repeats are rare, a constant is caught
