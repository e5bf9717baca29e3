"""Settings for the test suite: the normal settings with fast hashing and immediate tasks."""

import os
import tempfile

os.environ.setdefault("CYBERCANTAL_TESTING", "1")
os.environ.setdefault("CYBERCANTAL_VAR_DIR", os.path.join(tempfile.gettempdir(), "cybercantal-test-var"))

from cybercantal.settings import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(tempfile.gettempdir()) / "cybercantal-test-media"  # noqa: F405
PRIVATE_ROOT = Path(tempfile.gettempdir()) / "cybercantal-test-private"  # noqa: F405
STORAGES["private"] = {  # noqa: F405
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": PRIVATE_ROOT},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}

# Whitenoise warns (an error under pytest) when STATIC_ROOT does not exist.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
