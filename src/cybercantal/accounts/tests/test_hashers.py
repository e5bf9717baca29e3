"""Passwords are hashed with Argon2id at the OWASP cost; older hashes are upgraded (ADR 0013)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.test import override_settings

from cybercantal.accounts.hashers import Argon2idHasher

PRODUCTION_HASHERS = [
    "cybercantal.accounts.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


def test_the_production_settings_hash_with_argon2id_first():
    """Outside the tests (which use MD5 for speed), the settings put our Argon2id first."""
    env = {k: v for k, v in os.environ.items() if k not in {"CYBERCANTAL_TESTING", "DJANGO_SETTINGS_MODULE"}}
    env["DJANGO_SETTINGS_MODULE"] = "cybercantal.settings"
    code = "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)  # noqa: S603 - our interpreter
    assert result.stdout.strip() == "cybercantal.accounts.hashers.Argon2idHasher"


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_a_new_password_is_argon2id_with_19_mib_2_passes_1_lane():
    encoded = make_password("Cantal-montagne-2026")
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert isinstance(identify_hasher(encoded), Argon2idHasher)
    assert check_password("Cantal-montagne-2026", encoded)
    assert not check_password("cantal-montagne-2026", encoded)


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
@pytest.mark.django_db
def test_an_older_pbkdf2_hash_is_upgraded_at_the_next_sign_in(django_user_model):
    pbkdf2 = make_password("Cantal-montagne-2026", hasher="pbkdf2_sha256")
    user = django_user_model.objects.create(email="ancien@example.org", password=pbkdf2)
    assert user.check_password("Cantal-montagne-2026")
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_a_hash_with_other_argon2_parameters_is_flagged_for_upgrade():
    """Django's default Argon2 (100 MiB, 8 lanes) is re-hashed to ours at the next sign-in."""
    from django.contrib.auth.hashers import Argon2PasswordHasher

    heavy = Argon2PasswordHasher().encode("Cantal-montagne-2026", Argon2PasswordHasher().salt())
    assert Argon2idHasher().must_update(heavy)
    assert not Argon2idHasher().must_update(make_password("Cantal-montagne-2026"))
