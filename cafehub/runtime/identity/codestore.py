"""Where one-time codes and their counters live: Redis for many processes, memory for one.

Both stores keep the same four atomic operations, so the rules in
:mod:`.codes` are written once:

- ``issue``: refuse while the resend cooldown runs or when the subject has
  had ``hourly_cap`` sends in the last hour; otherwise replace any earlier
  code with the new digest (tries 0) and start the cooldown;
- ``take_try``: count one try against the live code and hand back its digest,
  or say there is none, it expired, or it is locked (tries used up);
- ``consume``: delete the code if it still holds that digest (exactly one of
  two racing correct answers wins, so a code verifies once);
- ``revoke``: forget the code and its cooldown (the send failed).

Times come from the caller's clock (milliseconds), so expiry is the same on
both stores and testable without sleeping; Redis TTLs only clean up after.
Keys hold a keyed hash of the subject, never a phone number or address.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from redis import Redis

HOUR_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class Issued:
    """``ok``, or refused: ``cooldown`` / ``capped`` with the milliseconds until a send is allowed."""

    status: Literal["ok", "cooldown", "capped"]
    retry_after_ms: int = 0


@dataclass(frozen=True, slots=True)
class Try:
    status: Literal["ok", "none", "expired", "locked"]
    digest: str | None = None
    tries: int = 0


class CodeStore(Protocol):
    def issue(self, subject: str, digest: str, *, now_ms: int, ttl_ms: int, cooldown_ms: int,
              hourly_cap: int) -> Issued: ...

    def take_try(self, subject: str, *, now_ms: int, max_tries: int) -> Try: ...

    def consume(self, subject: str, digest: str) -> bool: ...

    def revoke(self, subject: str) -> None: ...


@dataclass(slots=True)
class _Code:
    digest: str
    expires_ms: int
    tries: int = 0


@dataclass(slots=True)
class MemoryCodeStore:
    """Codes in this process only (the default for one process and for tests)."""

    codes: dict[str, _Code] = field(default_factory=dict)
    cooldowns: dict[str, int] = field(default_factory=dict)
    sends: dict[str, deque[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, subject: str, digest: str, *, now_ms: int, ttl_ms: int, cooldown_ms: int,
              hourly_cap: int) -> Issued:
        with self.lock:
            until = self.cooldowns.get(subject, 0)
            if until > now_ms:
                return Issued("cooldown", until - now_ms)
            window = self.sends.setdefault(subject, deque())
            while window and window[0] <= now_ms - HOUR_MS:
                window.popleft()
            if len(window) >= hourly_cap:
                return Issued("capped", window[0] + HOUR_MS - now_ms)
            window.append(now_ms)
            self.codes[subject] = _Code(digest, now_ms + ttl_ms)
            self.cooldowns[subject] = now_ms + cooldown_ms
            return Issued("ok")

    def take_try(self, subject: str, *, now_ms: int, max_tries: int) -> Try:
        with self.lock:
            code = self.codes.get(subject)
            if code is None:
                return Try("none")
            if code.expires_ms <= now_ms:
                del self.codes[subject]
                return Try("expired")
            code.tries += 1
            if code.tries > max_tries:
                return Try("locked", tries=code.tries)
            return Try("ok", code.digest, code.tries)

    def consume(self, subject: str, digest: str) -> bool:
        with self.lock:
            code = self.codes.get(subject)
            if code is None or code.digest != digest:
                return False
            del self.codes[subject]
            return True

    def revoke(self, subject: str) -> None:
        with self.lock:
            self.codes.pop(subject, None)
            self.cooldowns.pop(subject, None)


_ISSUE = """
local wait_until = tonumber(redis.call('GET', KEYS[2]) or '0')
local now = tonumber(ARGV[2])
if wait_until > now then return {'cooldown', wait_until - now} end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - 3600000)
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[5]) then
  local oldest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  return {'capped', tonumber(oldest[2]) + 3600000 - now}
end
redis.call('ZADD', KEYS[3], now, ARGV[6])
redis.call('PEXPIRE', KEYS[3], 3600000)
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'digest', ARGV[1], 'tries', 0, 'expires', now + tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) + 60000)
redis.call('SET', KEYS[2], now + tonumber(ARGV[4]), 'PX', tonumber(ARGV[4]) + 60000)
return {'ok', 0}
"""

_TRY = """
local h = redis.call('HMGET', KEYS[1], 'digest', 'tries', 'expires')
if not h[1] then return {'none', '', 0} end
if tonumber(h[3]) <= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1])
  return {'expired', '', 0}
end
local t = redis.call('HINCRBY', KEYS[1], 'tries', 1)
if t > tonumber(ARGV[1]) then return {'locked', '', t} end
return {'ok', h[1], t}
"""

_CONSUME = """
if redis.call('HGET', KEYS[1], 'digest') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""


class RedisCodeStore:
    """Codes shared by every process that talks to one Redis (each operation one Lua script)."""

    def __init__(self, client: Redis, *, prefix: str = "cafehub:otp") -> None:
        self.client = client
        self.prefix = prefix
        self._issue = client.register_script(_ISSUE)
        self._try = client.register_script(_TRY)
        self._consume = client.register_script(_CONSUME)
        self._seq = 0
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "cafehub:otp") -> RedisCodeStore:
        from redis import Redis

        return cls(Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5), prefix=prefix)

    def _keys(self, subject: str) -> list[str]:
        base = f"{self.prefix}:{subject}"
        return [f"{base}:code", f"{base}:cooldown", f"{base}:sends"]

    def issue(self, subject: str, digest: str, *, now_ms: int, ttl_ms: int, cooldown_ms: int,
              hourly_cap: int) -> Issued:
        with self._lock:
            self._seq += 1
            member = f"{now_ms}:{id(self)}:{self._seq}"
        status, wait = self._issue(keys=self._keys(subject),
                                   args=[digest, now_ms, ttl_ms, cooldown_ms, hourly_cap, member])
        return Issued(_text(status), int(wait))  # type: ignore[arg-type]

    def take_try(self, subject: str, *, now_ms: int, max_tries: int) -> Try:
        status, digest, tries = self._try(keys=self._keys(subject)[:1], args=[max_tries, now_ms])
        return Try(_text(status), _text(digest) or None, int(tries))  # type: ignore[arg-type]

    def consume(self, subject: str, digest: str) -> bool:
        return bool(self._consume(keys=self._keys(subject)[:1], args=[digest]))

    def revoke(self, subject: str) -> None:
        self.client.delete(*self._keys(subject)[:2])


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
