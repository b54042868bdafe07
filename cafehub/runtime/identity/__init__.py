"""Identity in the chat: contacts, one-time codes, senders, and the accounts a contact unlocks."""

from .codes import OtpPolicy, OtpSecretError, OtpService, SendResult, VerifyResult, load_secret
from .codestore import CodeStore, MemoryCodeStore, RedisCodeStore
from .directory import Identity, find_identities
from .phones import Contact, InvalidContact, mask_email, mask_phone, normalize_email, normalize_phone, parse_contact
from .senders import CodeSender, ConsoleSender, EmailCodeSender, RoutingSender, SmsCodeSender

__all__ = [
    "CodeSender", "CodeStore", "ConsoleSender", "Contact", "EmailCodeSender", "Identity", "InvalidContact",
    "MemoryCodeStore", "OtpPolicy", "OtpSecretError", "OtpService", "RedisCodeStore", "RoutingSender",
    "SendResult", "SmsCodeSender", "VerifyResult", "find_identities", "load_secret", "mask_email", "mask_phone",
    "normalize_email", "normalize_phone", "parse_contact",
]
