"""Forms of the GIFT pages: the file or pasted text to read (``GiftSourceForm``), then what
to import from the preview (``GiftImportForm``), and the export's choice of questions.

The text read for the preview travels to the import step inside a hidden field signed with
``django.core.signing`` (compressed, stamped, tied to the teacher): nothing is stored on
the server between the two steps, and a tampered or stale field is refused."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import gift
from ..queries.questions import CategoryNode
from ..services.gift import DUPLICATES_IMPORT, DUPLICATES_SKIP

MAX_BYTES = 2 * 1024 * 1024
MAX_MEGABYTES = "2"
EXTENSIONS = (".txt", ".gift")
PAYLOAD_SALT = "learning.gift.payload"
PAYLOAD_MAX_AGE = 3 * 3600


def sign_text(text: str, user_id: int) -> str:
    return signing.dumps({"t": text, "u": user_id}, salt=PAYLOAD_SALT, compress=True)


def unsign_text(payload: str, user_id: int) -> str:
    """The text signed by ``sign_text`` for this user; ``ValidationError`` when stale or forged."""
    try:
        value = signing.loads(payload, salt=PAYLOAD_SALT, max_age=PAYLOAD_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ValidationError(_("L'aperçu date de plus de trois heures : relisez le fichier.")) from exc
    except signing.BadSignature as exc:
        raise ValidationError(_("L'aperçu n'est plus valable : relisez le fichier.")) from exc
    if not isinstance(value, dict) or value.get("u") != user_id or not isinstance(value.get("t"), str):
        raise ValidationError(_("L'aperçu n'est plus valable : relisez le fichier."))
    return value["t"]


def category_choices(nodes: list[CategoryNode], *, empty: str) -> list[tuple[str, str]]:
    return [("", empty)] + [(str(node.category.pk), "\u00a0\u00a0" * node.depth + node.category.name) for node in nodes]


class GiftSourceForm(forms.Form):
    """A GIFT file (``.txt`` or ``.gift``, UTF-8 or Latin-1, 2 MB at most) or pasted text."""

    text = forms.CharField(
        label=gettext_lazy("Coller le texte GIFT"),
        required=False,
        max_length=MAX_BYTES,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "autocapitalize": "off"}),
        help_text=gettext_lazy(
            "Par exemple : ::Préfecture::Quelle est la préfecture du Cantal ?{=Aurillac ~Saint-Flour ~Mauriac}"
        ),
        error_messages={"max_length": gettext_lazy("Ce texte est trop long (2 Mo au plus) : envoyez un fichier.")},
    )
    file = forms.FileField(
        label=gettext_lazy("Ou choisir un fichier GIFT"),
        required=False,
        help_text=gettext_lazy(
            "Fichier .txt exporté de Moodle (Banque de questions › Exporter › format GIFT), 2 Mo au plus."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,.gift,text/plain"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.encoding = "utf-8"

    def clean_file(self) -> str | None:
        upload = self.cleaned_data.get("file")
        if not upload:
            return None
        name = str(upload.name or "").lower()
        if not name.endswith(EXTENSIONS):
            raise ValidationError(
                _("Choisissez un fichier .txt ou .gift : c'est ainsi que Moodle exporte au format GIFT.")
            )
        if upload.size > MAX_BYTES:
            raise ValidationError(
                _("Ce fichier est trop gros (%(max)s Mo au plus) : exportez moins de questions à la fois.")
                % {"max": MAX_MEGABYTES}
            )
        raw = upload.read(MAX_BYTES + 1)
        try:
            text, self.encoding = gift.decode(raw)
        except gift.GiftFileError as exc:
            raise ValidationError(str(exc)) from exc
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        text = data.get("file") or data.get("text") or ""
        if "\x00" in text:
            self.add_error("text", _("Ce texte contient des caractères invalides."))
        elif not text.strip():
            self.add_error("text", _("Collez des questions au format GIFT ou choisissez un fichier."))
        data["source"] = text
        return data


class GiftImportForm(forms.Form):
    """The import step: the signed text, where to put the questions, which ones, duplicates."""

    payload = forms.CharField(widget=forms.HiddenInput)
    category = forms.ChoiceField(
        label=gettext_lazy("Catégorie où importer"),
        required=False,
        help_text=gettext_lazy("Les catégories $CATEGORY du fichier sont créées à l'intérieur de celle-ci."),
    )
    lines = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Questions à importer"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    duplicates = forms.ChoiceField(
        label=gettext_lazy("Questions déjà dans votre banque"),
        choices=[
            (DUPLICATES_SKIP, gettext_lazy("Ne pas les importer une seconde fois (conseillé)")),
            (DUPLICATES_IMPORT, gettext_lazy("Les importer quand même")),
        ],
        initial=DUPLICATES_SKIP,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, nodes: list[CategoryNode], lines: list[int], user_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user_id = user_id
        self.nodes = {str(node.category.pk): node.category for node in nodes}
        self.fields["category"].choices = category_choices(nodes, empty=_("Aucune : en haut de ma banque"))
        self.fields["lines"].choices = [(line, str(line)) for line in lines]

    def clean_payload(self) -> str:
        return unsign_text(self.cleaned_data["payload"], self.user_id)

    def clean_category(self) -> Any:
        value = self.cleaned_data.get("category") or ""
        return self.nodes.get(value)


class GiftExportForm(forms.Form):
    """Which questions to export when none were ticked in the bank: a category or all."""

    category = forms.ChoiceField(label=gettext_lazy("Catégorie à exporter"), required=False)

    def __init__(self, *args: Any, nodes: list[CategoryNode], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices(nodes, empty=_("Toutes mes questions"))
