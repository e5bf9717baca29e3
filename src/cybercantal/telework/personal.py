"""What the telecentres network keeps about a person, for "Mes données" (``register()`` is
called from the app's ``ready``).

Kept: the member profile (billing identity, home commune and usual commute, the secret of the
calendar feed, never exported), memberships and their credits, bookings, the waiting lists.
On anonymisation: the profile is deleted (which revokes the calendar feed's secret URL),
waiting-list entries are deleted and open memberships end today (no renewal, no billing
after). Bookings, memberships, credits and invoices are kept: they are accounting records
(invoices must be kept ten years, Code de commerce art. L123-22), tied to an anonymised account.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cybercantal.accounts import personal_data

from .models import Booking, CreditGrant, MemberProfile, Membership, WaitlistEntry

SECTION = "telecentres"


def _profile(user: Any) -> dict[str, Any] | None:
    profile = MemberProfile.objects.select_related("home_commune").filter(user=user).first()
    if profile is None:
        return None
    return {
        "nom_facturation": profile.billing_name,
        "adresse_facturation": profile.billing_address,
        "commune_residence": profile.home_commune.name if profile.home_commune else None,
        "trajet_evite_km": profile.commute_km,
        "moyen_transport": str(profile.get_commute_mode_display()) if profile.commute_mode else None,
        "modifie_le": profile.updated_at,
    }


def _memberships(user: Any) -> list[dict[str, Any]]:
    grants: dict[int, list[dict[str, Any]]] = {}
    for grant in CreditGrant.objects.filter(membership__member=user).order_by("granted_on", "pk"):
        grants.setdefault(grant.membership_id, []).append(
            {
                "unite": grant.unit,
                "accordes": grant.amount,
                "restants": grant.remaining,
                "motif": str(CreditGrant.Reason(grant.reason).label),
                "note": grant.note,
                "accordes_le": grant.granted_on,
                "valables_jusqu_au": grant.expires_on,
            }
        )
    return [
        {
            "telecentre": m.telecentre.name,
            "formule": m.plan.name if m.plan else None,
            "convention": m.agreement.reference if m.agreement else None,
            "debut": m.starts_on,
            "fin": m.ends_on,
            "credits": grants.get(m.pk, []),
        }
        for m in Membership.objects.filter(member=user)
        .select_related("telecentre__place", "plan", "agreement")
        .order_by("starts_on", "pk")
    ]


def _bookings(user: Any) -> list[dict[str, Any]]:
    return [
        {
            "telecentre": b.resource.telecentre.name,
            "ressource": b.resource.name,
            "debut": b.starts_at,
            "fin": b.ends_at,
            "statut": str(b.get_status_display()),
            "prix_ht": b.price_excl_tax,
            "credits_utilises": b.credits_used,
            "arrivee_pointee_le": b.checked_in_at,
            "annulee_le": b.cancelled_at,
        }
        for b in Booking.objects.filter(member=user).select_related("resource__telecentre__place").order_by("starts_at")
    ]


def _waitlist(user: Any) -> list[dict[str, Any]]:
    return [
        {
            "ressource": e.resource.name,
            "debut": e.starts_at,
            "fin": e.ends_at,
            "statut": str(e.get_status_display()),
            "inscrit_le": e.created_at,
        }
        for e in WaitlistEntry.objects.filter(member=user).select_related("resource").order_by("created_at")
    ]


def _export(user: Any) -> dict[str, Any]:
    return {
        "profil": _profile(user),
        "adhesions": _memberships(user),
        "reservations": _bookings(user),
        "listes_attente": _waitlist(user),
    }


def _erase(user: Any) -> None:
    MemberProfile.objects.filter(user=user).delete()  # the calendar feed's secret goes with it
    WaitlistEntry.objects.filter(member=user).delete()
    today = timezone.localdate()
    for membership in Membership.objects.filter(member=user).filter(Q(ends_on__isnull=True) | Q(ends_on__gt=today)):
        membership.ends_on = max(today, membership.starts_on)
        membership.next_renewal_on = None
        membership.save(update_fields=["ends_on", "next_renewal_on"])


def register() -> None:
    personal_data.register(
        SECTION,
        _export,
        erase=_erase,
        title=_("Vos télécentres"),
        description=_(
            "Votre profil de membre (nom et adresse de facturation, commune et trajet habituel, pour l'indicateur "
            "des trajets évités), vos adhésions et vos crédits, vos réservations et vos inscriptions en liste "
            "d'attente. Si vous demandez l'effacement de votre compte, votre profil et vos listes d'attente sont "
            "supprimés et votre lien de calendrier cesse de fonctionner ; vos réservations, adhésions et factures "
            "sont conservées comme pièces comptables (dix ans), rattachées à un compte anonyme."
        ),
    )
