"""Reusable access decorators for views: by role, or by permission on an object.

Both answer 403 with the French page ``403.html`` (core), never a redirect loop, and
expect the person to be signed in (``LoginRequiredMiddleware`` sends the others to the
sign-in page first)::

    @role_required(Role.PROGRAMME_MANAGER, Role.ADMINISTRATOR)
    def import_upload(request): ...

    @permission_required_for_object("places.change_place", lambda request, slug: get_object_or_404(Place, slug=slug))
    def place_edit(request, slug, obj): ...    # the object found is passed as ``obj``
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from .models import Role
from .queries import active_roles

View = Callable[..., HttpResponse]


def role_required(*roles: str) -> Callable[[View], View]:
    """Allow people holding one of ``roles`` today (any scope); superusers always pass."""
    unknown = set(roles) - set(Role.values)
    if not roles or unknown:
        raise ValueError(f"role_required needs known roles, got {sorted(unknown) or 'none'}")
    wanted = frozenset(roles)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not (user.is_superuser and user.is_active) and not (wanted & active_roles(user)):
                raise PermissionDenied(_("Cette page est réservée à certains rôles."))
            return view(request, *args, **kwargs)

        wrapper.required_roles = wanted  # type: ignore[attr-defined]
        return wrapper

    return decorator


def permission_required_for_object(
    perm: str, getter: Callable[..., Any], *, pass_object: bool = True
) -> Callable[[View], View]:
    """Allow people for whom ``user.has_perm(perm, getter(request, *args, **kwargs))`` holds.

    ``getter`` may raise ``Http404``. The object is passed to the view as ``obj`` unless
    ``pass_object=False``.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            obj = getter(request, *args, **kwargs)
            if not user.has_perm(perm, obj):
                raise PermissionDenied(_("Vous n'avez pas accès à cette page."))
            if pass_object:
                kwargs["obj"] = obj
            return view(request, *args, **kwargs)

        wrapper.required_permission = perm  # type: ignore[attr-defined]
        return wrapper

    return decorator
