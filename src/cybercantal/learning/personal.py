"""What the cartable électronique keeps about a person, for "Mes données" (``register()``
is called from the app's ``ready``): a pupil's classes, attempts and answers, documents,
homework ticks; a parent's links to their children. On anonymisation (an administrator, or
the retention job for pupils), ``services.home.student_erase`` deletes all of it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from cybercantal.accounts import personal_data

from .models import Enrolment, EntAccount, ParentLink, SchoolMember
from .services.home import student_data, student_erase

SECTION = "cartable"


def export(user: Any) -> dict[str, Any] | None:
    has_learning = (
        SchoolMember.objects.filter(user=user).exists()
        or ParentLink.objects.filter(parent=user).exists()
        or EntAccount.objects.filter(user=user).exists()
        or Enrolment.objects.filter(student=user).exists()
    )
    if not has_learning:
        return None
    data = student_data(user)
    data["enfants"] = [
        {"prenom": link.student.first_name, "nom": link.student.last_name, "lien": str(link.get_relation_display())}
        for link in ParentLink.objects.filter(parent=user).select_related("student")
    ]
    return data


def register() -> None:
    personal_data.register(
        SECTION,
        export,
        erase=student_erase,
        title=_("Cartable électronique"),
        description=_(
            "Pour un élève : ses classes, ses exercices et ses réponses, ses documents, ses devoirs cochés ; "
            "gardés tant qu'il est scolarisé, puis trois mois. Pour un parent : le lien avec ses enfants."
        ),
    )
