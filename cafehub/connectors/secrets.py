"""Secrets at rest: the key that encrypts OAuth tokens in the store, and the cipher.

Access and refresh tokens are stored encrypted with AES-256-GCM
(``cryptography``'s authenticated encryption): a random 96-bit nonce per
value, and the mall id and column as associated data, so a value copied into
another row or column fails to decrypt instead of being used. A stored value
reads ``v1:<base64url(nonce + ciphertext)>``.

The key belongs to the operator, never to the store:

1. ``CAFEHUB_SECRET_KEY``: 32 bytes as base64url (``cafehub.connectors.secrets.new_key()``
   makes one);
2. ``CAFEHUB_SECRET_KEY_FILE``: a file holding such a key, readable by its owner only;
3. otherwise ``~/.config/cafehub/secret.key`` (``$XDG_CONFIG_HOME`` respected),
   created on first use with mode 0600 in a 0700 directory.

Lose the key and the stored tokens cannot be read: the mall must authorize
the app again (the store says so). Messages never contain a key or a token.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cafehub.connectors.errors import ConfigError

KEY_ENV = "CAFEHUB_SECRET_KEY"
KEY_FILE_ENV = "CAFEHUB_SECRET_KEY_FILE"
PREFIX = "v1:"
_NONCE = 12


class SecretError(ConfigError):
    """A key that is missing, malformed or unsafe, or a stored secret it cannot open."""


def new_key() -> str:
    """A fresh random key as base64url text (for ``CAFEHUB_SECRET_KEY`` or a key file)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def _decode_key(text: str, source: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode("ascii") + b"==")
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise SecretError(f"the secret key in {source} is not base64url text") from None
    if len(raw) != 32:
        raise SecretError(f"the secret key in {source} must be 32 bytes (base64url), not {len(raw)}")
    return raw


class TokenCipher:
    """Encrypts and decrypts one mall's token values with the operator's key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise SecretError("a token key is 32 bytes")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:  # never print the key
        return "TokenCipher(<key>)"

    @classmethod
    def from_text(cls, text: str, *, source: str = "the given key") -> TokenCipher:
        return cls(_decode_key(text, source))

    def encrypt(self, value: str, *, context: str) -> str:
        nonce = secrets.token_bytes(_NONCE)
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), context.encode("utf-8"))
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, stored: str, *, context: str) -> str:
        """The plaintext of ``stored``; :class:`SecretError` if this key did not seal it (or it was altered)."""
        if not is_sealed(stored):
            raise SecretError(f"the stored {context.split('/')[-1]} is not encrypted")
        try:
            raw = base64.urlsafe_b64decode(stored[len(PREFIX):].encode("ascii"))
            return self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], context.encode("utf-8")).decode("utf-8")
        except (InvalidTag, binascii.Error, ValueError):
            raise SecretError(
                f"the stored {context.split('/')[-1]} cannot be decrypted with this key (another "
                f"{KEY_ENV} or key file was used to store it, or it was altered)"
            ) from None


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


@dataclass(frozen=True, slots=True)
class LoadedKey:
    """The operator's key, where it came from, and whether it was created just now."""

    cipher: TokenCipher
    source: str
    created: Path | None = None


def default_key_file(env: Mapping[str, str] = os.environ) -> Path:
    base = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "cafehub" / "secret.key"


def _read_key_file(path: Path) -> TokenCipher:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise SecretError(f"cannot read the secret key file {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretError(f"the secret key file {path} is readable by others; run: chmod 600 {path}")
    return TokenCipher.from_text(path.read_text(encoding="ascii"), source=str(path))


def load_key(env: Mapping[str, str] = os.environ, *, create: bool = True) -> LoadedKey:
    """The operator's key (module docstring for the order); creates the default key file if allowed."""
    text = env.get(KEY_ENV)
    if text:
        return LoadedKey(TokenCipher.from_text(text, source=KEY_ENV), KEY_ENV)
    named = env.get(KEY_FILE_ENV)
    if named:
        path = Path(named).expanduser()
        return LoadedKey(_read_key_file(path), str(path))
    path = default_key_file(env)
    if path.exists():
        return LoadedKey(_read_key_file(path), str(path))
    if not create:
        raise SecretError(f"no secret key: set {KEY_ENV} or {KEY_FILE_ENV}, or create {path}")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Written aside and linked into place, so a second process never reads a half-written key.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(new_key() + "\n")
    try:
        os.link(temporary, path)
        created: Path | None = path
    except FileExistsError:
        created = None  # another process made it first: use theirs
    finally:
        temporary.unlink()
    return LoadedKey(_read_key_file(path), str(path), created=created)
