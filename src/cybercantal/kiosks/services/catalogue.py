"""Every write of the procedures catalogue: seeding, creation and edits by the programme
team (each followed by a revision snapshot), restoring an old revision, and the link check.

Each function is keyword-only and runs in one transaction. Bad input raises
``django.core.exceptions.ValidationError`` with French messages keyed by field; nothing is
half-saved. A missing permission raises ``PermissionDenied``; ``actor=None`` is the system
(seed, demo data, commands).
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cybercantal.accounts.services import require_permission
from cybercantal.core import journal
from cybercantal.core.db import lock_for_update
from cybercantal.core.text import normalise

from ..models import Category, Procedure, ProcedureRevision

SEED_FILE = Path(__file__).resolve().parent.parent / "data" / "procedures.json"
# The fields a revision keeps (and a restore puts back). The slug is the page's address:
# it never changes after creation, so that printed QR codes keep working.
SNAPSHOT_FIELDS = (
    "title",
    "category",
    "summary",
    "documents",
    "official_url",
    "official_name",
    "position",
    "is_published",
)
TITLE_MAX = 160
SUMMARY_MAX = 300
DOCUMENTS_MAX = 4000
DOCUMENT_LINE_MAX = 300
URL_MAX = 500
NAME_MAX = 160
COMMENT_MAX = 255
POSITION_MAX = 32767
# Slugs that are page names under /demarches/.
RESERVED_SLUGS = frozenset({"gestion"})
SEED_COMMENT = "Catalogue initial"


# --- helpers ----------------------------------------------------------------------------------


def _require(actor: Any) -> None:
    message = _("Vous n'avez pas le droit de modifier le catalogue des démarches.")
    require_permission(actor, "kiosks.manage_catalogue", message=message)


def _author(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) is not None else None


def snapshot(procedure: Procedure) -> dict[str, Any]:
    return {name: getattr(procedure, name) for name in SNAPSHOT_FIELDS}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    return value


def url_error(url: str) -> str | None:
    """Why ``url`` cannot be a procedure's official link (French), or None."""
    if not url:
        return _("Indiquez l'adresse du service en ligne officiel.")
    if "\x00" in url:
        return _("Ce champ contient un caractère invalide.")
    if len(url) > URL_MAX:
        return _("L'adresse ne doit pas dépasser %(max)s caractères.") % {"max": URL_MAX}
    if not url.lower().startswith("https://"):
        return _("L'adresse doit commencer par « https:// » (site sécurisé).")
    try:
        URLValidator(schemes=["https"])(url)
    except ValidationError:
        return _("Cette adresse n'est pas valide : copiez-la depuis la barre d'adresse du site.")
    return None


def clean_procedure(values: dict[str, Any], *, exclude_pk: int | None = None) -> dict[str, Any]:
    """Check and normalise what a manager typed; raise ``ValidationError`` by field."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    raw = {name: _text(values.get(name)) for name in ("title", "summary", "documents", "official_url", "official_name")}
    for name, value in raw.items():
        if "\x00" in value and name != "official_url":
            add(name, _("Ce champ contient un caractère invalide."))
    title = " ".join(raw["title"].split())
    summary = " ".join(raw["summary"].split())
    documents = "\n".join(line.strip() for line in raw["documents"].replace("\r", "\n").split("\n") if line.strip())
    url = raw["official_url"].strip()
    official_name = " ".join(raw["official_name"].split())

    if not title:
        add("title", _("Donnez un titre à la démarche."))
    elif len(title) > TITLE_MAX:
        add("title", _("Le titre ne doit pas dépasser %(max)s caractères.") % {"max": TITLE_MAX})
    elif "title" not in errors:
        wanted = normalise(title)
        others = Procedure.objects.exclude(pk=exclude_pk) if exclude_pk is not None else Procedure.objects.all()
        if any(normalise(other) == wanted for other in others.values_list("title", flat=True)):
            add("title", _("Une démarche s'appelle déjà « %(title)s » : modifiez-la plutôt.") % {"title": title})

    category = _text(values.get("category"))
    if not category:
        add("category", _("Choisissez une catégorie."))
    elif category not in Category.values:
        add("category", _("Choisissez une catégorie de la liste."))

    if not summary:
        add("summary", _("Expliquez la démarche en deux lignes."))
    elif len(summary) > SUMMARY_MAX:
        add(
            "summary",
            _("L'explication ne doit pas dépasser %(max)s caractères (elle en a %(count)s).")
            % {"max": SUMMARY_MAX, "count": len(summary)},
        )

    if len(documents) > DOCUMENTS_MAX:
        add("documents", _("La liste des documents ne doit pas dépasser %(max)s caractères.") % {"max": DOCUMENTS_MAX})
    elif any(len(line) > DOCUMENT_LINE_MAX for line in documents.split("\n")):
        add(
            "documents",
            _("Chaque document tient sur une ligne de %(max)s caractères au plus.") % {"max": DOCUMENT_LINE_MAX},
        )

    if message := url_error(url):
        add("official_url", message)

    if len(official_name) > NAME_MAX:
        add("official_name", _("Le nom du service ne doit pas dépasser %(max)s caractères.") % {"max": NAME_MAX})

    position = values.get("position", 100)
    try:
        position = int(position if position not in (None, "") else 100)
    except (TypeError, ValueError):
        position = None
    if position is None or not 0 <= position <= POSITION_MAX:
        add("position", _("L'ordre d'affichage est un nombre entre 0 et %(max)s.") % {"max": POSITION_MAX})

    if errors:
        raise ValidationError(errors)
    return {
        "title": title,
        "category": category,
        "summary": summary,
        "documents": documents,
        "official_url": url,
        "official_name": official_name,
        "position": position,
        "is_published": bool(values.get("is_published", True)),
    }


def _clean_comment(comment: Any) -> str:
    text = " ".join(_text(comment).split())
    if "\x00" in text:
        raise ValidationError({"comment": [_("Ce champ contient un caractère invalide.")]})
    if len(text) > COMMENT_MAX:
        raise ValidationError(
            {"comment": [_("Le commentaire ne doit pas dépasser %(max)s caractères.") % {"max": COMMENT_MAX}]}
        )
    return text


def unique_procedure_slug(title: str) -> str:
    base = slugify(title)[:110].strip("-") or "demarche"
    taken = set(Procedure.objects.filter(slug__startswith=base).values_list("slug", flat=True)) | RESERVED_SLUGS
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _revision(*, procedure: Procedure, actor: Any, comment: str) -> ProcedureRevision:
    return ProcedureRevision.objects.create(
        procedure=procedure, author=_author(actor), data=snapshot(procedure), comment=comment
    )


# --- create, update, restore ------------------------------------------------------------------


@transaction.atomic
def procedure_create(
    *,
    actor: Any,
    title: str,
    category: str,
    summary: str,
    official_url: str,
    documents: str = "",
    official_name: str = "",
    position: int = 100,
    is_published: bool = True,
    comment: str = "",
    slug: str = "",
) -> Procedure:
    """Add a procedure to the catalogue; its slug comes from the title (or ``slug``, for the seed)."""
    _require(actor)
    values = clean_procedure(
        {
            "title": title,
            "category": category,
            "summary": summary,
            "documents": documents,
            "official_url": official_url,
            "official_name": official_name,
            "position": position,
            "is_published": is_published,
        }
    )
    comment = _clean_comment(comment)
    try:
        with transaction.atomic():
            procedure = Procedure.objects.create(
                slug=slug or unique_procedure_slug(values["title"]), updated_by=_author(actor), **values
            )
    except IntegrityError as exc:  # two people created the same title at the same moment
        raise ValidationError(
            {"title": [_("Une démarche avec ce titre vient d'être créée : rechargez la page et réessayez.")]}
        ) from exc
    _revision(procedure=procedure, actor=actor, comment=comment or _("Création"))
    journal.record(actor=actor, action="procedure.created", target=procedure, data={"slug": procedure.slug})
    return procedure


@transaction.atomic
def procedure_update(
    *,
    actor: Any,
    procedure: Procedure,
    title: str,
    category: str,
    summary: str,
    official_url: str,
    documents: str = "",
    official_name: str = "",
    position: int = 100,
    is_published: bool = True,
    comment: str = "",
) -> Procedure:
    """Save a manager's edit and keep a revision of it. An edit that changes nothing saves
    nothing (no revision, no journal entry)."""
    _require(actor)
    procedure = lock_for_update(Procedure.objects.filter(pk=procedure.pk)).get()
    values = clean_procedure(
        {
            "title": title,
            "category": category,
            "summary": summary,
            "documents": documents,
            "official_url": official_url,
            "official_name": official_name,
            "position": position,
            "is_published": is_published,
        },
        exclude_pk=procedure.pk,
    )
    comment = _clean_comment(comment)
    changed = [name for name, value in values.items() if getattr(procedure, name) != value]
    if not changed:
        return procedure
    for name in changed:
        setattr(procedure, name, values[name])
    if "official_url" in changed:  # the old check says nothing about the new address
        procedure.link_checked_at = None
        procedure.link_ok = None
        procedure.link_status = ""
    procedure.updated_by = _author(actor)
    procedure.save()
    _revision(procedure=procedure, actor=actor, comment=comment)
    journal.record(actor=actor, action="procedure.updated", target=procedure, data={"fields": changed})
    return procedure


@transaction.atomic
def procedure_restore(*, actor: Any, revision: ProcedureRevision, comment: str = "") -> Procedure:
    """Put back the content of an old revision (as a new revision: history only grows)."""
    _require(actor)
    data = {name: revision.data.get(name) for name in SNAPSHOT_FIELDS if name in revision.data}
    current = lock_for_update(Procedure.objects.filter(pk=revision.procedure_id)).get()
    if all(getattr(current, name) == value for name, value in data.items()):
        raise ValidationError(_("La démarche a déjà ce contenu : rien à restaurer."))
    when = date_format(timezone.localtime(revision.created_at), "l j F Y à H:i")
    procedure = procedure_update(
        actor=actor,
        procedure=current,
        comment=comment or _("Retour à la version du %(when)s") % {"when": when},
        **{**snapshot(current), **data},
    )
    journal.record(actor=actor, action="procedure.restored", target=procedure, data={"revision": revision.pk})
    return procedure


# --- seed -------------------------------------------------------------------------------------


def seed_entries() -> list[dict[str, Any]]:
    return json.loads(SEED_FILE.read_text(encoding="utf-8"))


def _edited_by_people(procedure: Procedure, revisions: list[ProcedureRevision]) -> bool:
    """True when a person changed the procedure since the seed wrote it: a revision has an
    author, or the row differs from its last revision (an edit outside the services)."""
    if any(revision.author_id is not None for revision in revisions):
        return True
    if not revisions:
        return True
    return revisions[0].data != snapshot(procedure)


@transaction.atomic
def procedures_seed(*, actor: Any = None) -> int:
    """Create the common procedures missing from the catalogue and bring the untouched ones
    up to date with the seed file. A procedure a manager has edited is never overwritten.
    Returns how many procedures were created or updated (0 on a second run)."""
    _require(actor)
    entries = seed_entries()
    existing = {
        procedure.slug: procedure
        for procedure in Procedure.objects.filter(slug__in=[entry["slug"] for entry in entries]).prefetch_related(
            "revisions"
        )
    }
    changed = 0
    for entry in entries:
        values = {name: entry[name] for name in SNAPSHOT_FIELDS if name in entry}
        values.setdefault("is_published", True)
        procedure = existing.get(entry["slug"])
        if procedure is None:
            procedure_create(actor=actor, slug=entry["slug"], comment=SEED_COMMENT, **values)
            changed += 1
            continue
        revisions = list(procedure.revisions.all())  # newest first (model ordering)
        if _edited_by_people(procedure, revisions):
            continue
        wanted = clean_procedure(values, exclude_pk=procedure.pk)
        if snapshot(procedure) == wanted:
            continue
        procedure_update(actor=actor, procedure=procedure, comment=SEED_COMMENT, **wanted)
        changed += 1
    if changed:
        journal.record(actor=actor, action="procedure.seeded", data={"changed": changed})
    return changed


# --- link check -------------------------------------------------------------------------------

USER_AGENT = "CyberCantal-verification-des-liens/1.0 (+https://cybercantal.fr)"


@dataclass
class LinkResult:
    procedure_id: int
    title: str
    url: str
    ok: bool
    status: str


@dataclass
class LinkReport:
    results: list[LinkResult] = field(default_factory=list)

    @property
    def checked(self) -> int:
        return len(self.results)

    @property
    def dead(self) -> list[LinkResult]:
        return [result for result in self.results if not result.ok]


def _reason_text(reason: Any) -> str:
    if isinstance(reason, TimeoutError | socket.timeout):
        return _("délai dépassé")
    if isinstance(reason, socket.gaierror):
        return _("nom de domaine introuvable")
    if isinstance(reason, ConnectionRefusedError):
        return _("connexion refusée")
    return _("erreur réseau : %(reason)s") % {"reason": str(reason)[:120]}


def check_url(url: str, *, timeout: float = 10, opener: Any = None) -> tuple[bool, str]:
    """HEAD, then GET when the server refuses HEAD or answers an error; redirects are
    followed by the opener. Returns (ok, French status text)."""
    opener = opener or urllib.request.build_opener()
    last = ""
    for method in ("HEAD", "GET"):
        request = urllib.request.Request(url, method=method, headers={"User-Agent": USER_AGENT})  # noqa: S310
        try:
            with opener.open(request, timeout=timeout) as response:
                status = getattr(response, "status", None) or response.getcode()
                return True, _("%(status)s, en ligne") % {"status": status}
        except urllib.error.HTTPError as exc:
            last = _("erreur %(status)s") % {"status": exc.code}
            continue  # some servers refuse HEAD: ask again with GET
        except urllib.error.URLError as exc:
            return False, _reason_text(exc.reason)
        except TimeoutError as exc:
            return False, _reason_text(exc)
        except (OSError, ValueError) as exc:
            return False, _reason_text(exc)
    return False, last


def procedures_check_links(
    *, timeout: float = 10, opener: Any = None, procedures: Iterable[Procedure] | None = None, workers: int = 4
) -> LinkReport:
    """Check the official link of every procedure (or of ``procedures``) and store the result
    on each (``link_checked_at``, ``link_ok``, ``link_status``). Dead: 4xx/5xx after the GET
    retry, a timeout, an unknown domain, a refused connection."""
    rows = list(procedures) if procedures is not None else list(Procedure.objects.order_by("category", "position"))

    def check(procedure: Procedure) -> LinkResult:
        ok, status = check_url(procedure.official_url, timeout=timeout, opener=opener)
        return LinkResult(procedure.pk, procedure.title, procedure.official_url, ok, status[:200])

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(pool.map(check, rows))
    now = timezone.now()
    with transaction.atomic():
        for result in results:
            # ``update`` leaves ``updated_at`` alone: a check is not an edit.
            Procedure.objects.filter(pk=result.procedure_id).update(
                link_checked_at=now, link_ok=result.ok, link_status=result.status
            )
        journal.record(
            actor=None,
            action="procedure.links_checked",
            data={"checked": len(results), "dead": [result.procedure_id for result in results if not result.ok]},
        )
    return LinkReport(results=results)
