"""The Ed25519 key that signs checkpoints: kept in a file outside the database, made on first use."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from tracker.settings import ConfigError, create_private_file


def load_or_create(path: Path) -> Ed25519PrivateKey:
    """The private key in ``path`` (PEM, PKCS#8), generated with mode 0600 when there is none."""
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        create_private_file(path, pem, "TRACKER_AUDIT_KEY_FILE")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"TRACKER_AUDIT_KEY_FILE: cannot read an Ed25519 key from {path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"TRACKER_AUDIT_KEY_FILE: {path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def key_id(key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw 32-byte public key, hex: names the key in every checkpoint."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message)).decode("ascii")


def verifies(key: Ed25519PublicKey, message: bytes, signature: str) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True


_loaded: dict[Path, Ed25519PrivateKey] = {}


def signing_key(path: Path) -> Ed25519PrivateKey:
    """The site's key (TRACKER_AUDIT_KEY_FILE), read once per process."""
    if path not in _loaded:
        _loaded[path] = load_or_create(path)
    return _loaded[path]
