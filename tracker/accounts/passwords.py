"""Password hashing (argon2id) and the rules a new password must meet."""

from __future__ import annotations

from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from powerlists.messages import N_

MIN_LENGTH = 10
MAX_LENGTH = 256


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash((Argon2Hasher(),))


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash("not a real password, only spends the same time")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str | None) -> tuple[bool, str | None]:
    """(matches, new hash when the stored one uses outdated parameters).

    With no stored hash (unknown account) a dummy hash is checked, so the answer
    takes as long as for a real account and does not reveal which emails exist.
    """
    if password_hash is None:
        _hasher().verify(password, _dummy_hash())
        return False, None
    if len(password) > MAX_LENGTH:
        return False, None
    return _hasher().verify_and_update(password, password_hash)


def password_problem(password: str) -> str | None:
    """Why a new password is refused (English message id for translation), or None."""
    if len(password) < MIN_LENGTH:
        return N_("The password must have at least 10 characters.")
    if len(password) > MAX_LENGTH:
        return N_("The password must have at most 256 characters.")
    if password.strip() != password:
        return N_("The password must not start or end with a space.")
    return None
