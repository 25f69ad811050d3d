"""Password hashing with argon2id."""

from __future__ import annotations

import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# The test suite creates hundreds of users; it may ask for argon2id with
# minimal cost. Production always uses argon2-cffi's recommended parameters.
if os.environ.get("QINGDAN_TEST_FAST_HASH") == "1":
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
else:
    _hasher = PasswordHasher()

MIN_LENGTH = 8


class WeakPassword(ValueError):
    pass


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"密码至少需要{MIN_LENGTH}个字符")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# Verified against when a username is unknown, so a wrong name takes as long
# as a wrong password and does not reveal which accounts exist.
DUMMY_HASH = _hasher.hash("not-a-real-password")
