"""The teleworker role: it shows a person's telecentre pages in the menu. Given by the platform
(``actor=None``) when someone joins an employer agreement or chooses a plan."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from cybercantal.accounts.models import Role
from cybercantal.accounts.queries import active_roles
from cybercantal.accounts.services import role_grant

logger = logging.getLogger(__name__)


def grant_teleworker_role(user: Any) -> None:
    """Give ``user`` the teleworker role unless they hold it; a refusal of the role service never
    stops the joining or the subscription."""
    if Role.TELEWORKER in active_roles(user):
        return
    try:
        with transaction.atomic():
            role_grant(actor=None, user=user, role=Role.TELEWORKER)
    except ValidationError:
        logger.info("teleworker role not granted to user %s", user.pk)
