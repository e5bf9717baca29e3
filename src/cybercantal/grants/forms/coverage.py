"""Forms of the coverage part: the public eligibility check and the import of ARCEP files."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from ..models import GrantProgramme
from ..queries import coverage as queries
from ..services.coverage import MAX_ADDRESS_LENGTH, QUARTER_RE


class EligibilityForm(forms.Form):
    """GET form: works without JavaScript, the answer comes on the same page."""

    dispositif = forms.ChoiceField(label=_lazy("Dispositif d'aide"), required=False)
    commune = forms.CharField(
        label=_lazy("Commune de vos locaux"),
        max_length=150,
        help_text=_lazy("Son nom ou son code postal, par exemple : Neuvéglise-sur-Truyère."),
        error_messages={"required": _lazy("Indiquez la commune de vos locaux.")},
    )
    adresse = forms.CharField(
        label=_lazy("Adresse de vos locaux (facultatif)"),
        max_length=MAX_ADDRESS_LENGTH,
        required=False,
        help_text=_lazy(
            "Numéro et voie, ou lieu-dit, par exemple : 3 Le Bousquet. Sans adresse, la réponse vient des "
            "chiffres de toute la commune."
        ),
    )

    def __init__(self, *args: Any, programmes: list[GrantProgramme], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.programmes = {p.slug: p for p in programmes}
        self.default = queries.default_programme(programmes)
        self.fields["dispositif"].choices = [("", _("— Choisissez le dispositif —"))] if self.default is None else []
        self.fields["dispositif"].choices += [(p.slug, p.name) for p in programmes]
        if self.default is not None:
            self.fields["dispositif"].initial = self.default.slug
        self.lookup: queries.CommuneLookup | None = None

    def clean_dispositif(self) -> GrantProgramme:
        slug = self.cleaned_data.get("dispositif") or ""
        if not slug:
            if self.default is None:
                raise forms.ValidationError(_("Choisissez le dispositif d'aide."), code="required")
            return self.default
        return self.programmes[slug]  # ChoiceField already refused anything else

    def clean_commune(self) -> Any:
        self.lookup = queries.lookup_commune(self.cleaned_data["commune"], prefer_postal=True)
        if self.lookup.commune is None:
            raise forms.ValidationError(self.lookup.message, code=self.lookup.code)
        return self.lookup.commune

    def clean_adresse(self) -> str:
        value = self.cleaned_data.get("adresse", "")
        if "\x00" in value:
            raise forms.ValidationError(_("Cette adresse n'est pas lisible."), code="invalid")
        return value


def _max_bytes() -> int:
    return int(getattr(settings, "GRANTS_COVERAGE_MAX_UPLOAD_BYTES", 80 * 1024 * 1024))


class CoverageFileField(forms.FileField):
    """A CSV text file (or gzip), not bigger than the limit; the rows are checked by the import."""

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if not upload:
            return upload
        limit = _max_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                _(
                    "Le fichier pèse %(size)s Mo, le maximum est %(max)s Mo : "
                    "compressez-le en .gz ou utilisez la commande."
                )
                % {"size": round(upload.size / 1024 / 1024, 1), "max": limit // (1024 * 1024)},
                code="too_big",
            )
        upload.seek(0)
        head = upload.read(4096)
        upload.seek(0)
        if not head.strip():
            raise forms.ValidationError(_("Le fichier est vide."), code="empty")
        if head[:2] != b"\x1f\x8b" and (b"\x00" in head or head[:5] == b"%PDF-" or head[:2] == b"PK"):
            raise forms.ValidationError(
                _("Ce n'est pas un fichier CSV en texte (UTF-8 ou Latin-1) ni un CSV compressé en .gz."), code="not_csv"
            )
        return upload


class CoverageImportForm(forms.Form):
    edition = forms.CharField(
        label=_lazy("Édition (trimestre des données)"),
        max_length=7,
        help_text=_lazy("Par exemple 2026T2 pour les données au 30 juin 2026."),
        error_messages={"required": _lazy("Indiquez l'édition, par exemple 2026T2.")},
    )
    communes = CoverageFileField(
        label=_lazy("Statistiques par commune (commune_debit_filaire.csv)"),
        required=False,
        help_text=_lazy("Colonnes code_insee, nbr, elig_hd3, elig_bhd8, elig_thd30, elig_thd100, elig_thd1g."),
    )
    immeubles = CoverageFileField(
        label=_lazy("Immeubles (base_imb_<département>.csv)"),
        required=False,
        help_text=_lazy(
            "Colonnes imb_id, imb_code_insee, imb_nbr_logloc, addr_numero, addr_nom_voie. Avec le fichier suivant."
        ),
    )
    actuel = CoverageFileField(
        label=_lazy("Éligibilité par immeuble (actuel_<département>.csv)"),
        required=False,
        help_text=_lazy("Colonnes imb_id, code_techno, classe_debit_descendant. Avec le fichier précédent."),
    )

    def clean_edition(self) -> str:
        value = self.cleaned_data["edition"].strip().upper()
        if not QUARTER_RE.fullmatch(value):
            raise forms.ValidationError(
                _("L'édition s'écrit année, T, trimestre : par exemple 2026T2."), code="invalid_quarter"
            )
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        files = [name for name in ("communes", "immeubles", "actuel") if cleaned.get(name)]
        if not files and not any(self.errors.get(name) for name in ("communes", "immeubles", "actuel")):
            raise forms.ValidationError(_("Donnez au moins un fichier à importer."), code="no_file")
        if bool(cleaned.get("immeubles")) != bool(cleaned.get("actuel")) and not (
            self.errors.get("immeubles") or self.errors.get("actuel")
        ):
            missing = "actuel" if cleaned.get("immeubles") else "immeubles"
            self.add_error(
                missing,
                forms.ValidationError(
                    _("Les immeubles (base_imb) et l'éligibilité (actuel) vont ensemble : donnez les deux fichiers."),
                    code="pair",
                ),
            )
        return cleaned
