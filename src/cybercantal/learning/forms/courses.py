"""Forms of the courses part. They check the shape of what is sent; the rules (who may,
what is allowed, rich-text cleaning) are in ``services.courses``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cybercantal.core.forms import SafeModelChoiceField

from .. import richtext
from ..models import Document, Subject
from ..services.courses import TITLE_MAX, URL_MAX, clean_link_url

# Django shows help texts unescaped: the tags are written as entities.
RICHTEXT_HELP = _(
    "Mise en forme : gras, italique, titres, listes, liens et citations, avec la barre d'outils "
    "(Ctrl+B gras, Ctrl+I italique, Ctrl+K lien, Alt+F10 pour atteindre la barre). "
    "Sans la barre, écrivez du HTML simple : &lt;p&gt;, &lt;strong&gt;, &lt;em&gt;, &lt;h2&gt;, "
    "&lt;ul&gt;&lt;li&gt;, &lt;a href&gt;."
)


class RichTextarea(forms.Textarea):
    """A plain textarea of light HTML; ``learning/editor.js`` turns it into a formatted editor."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"rows": 14, "data-richtext": "", "class": "richtext-source", **(attrs or {})})


def _rich_field(label: Any, *, help_text: Any = RICHTEXT_HELP) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=richtext.MAX_LENGTH,
        strip=False,
        widget=RichTextarea(),
        help_text=help_text,
    )


def _title_field(label: Any) -> forms.CharField:
    return forms.CharField(label=label, max_length=TITLE_MAX, widget=forms.TextInput(attrs={"autocomplete": "off"}))


class CourseForm(forms.Form):
    title = _title_field(_("Titre du cours"))
    summary = _rich_field(_("Présentation (facultatif)"))

    def service_kwargs(self) -> dict[str, Any]:
        return {"title": self.cleaned_data["title"], "summary": self.cleaned_data["summary"]}


class CourseCreateForm(CourseForm):
    subject = SafeModelChoiceField(label=_("Matière"), queryset=Subject.objects.none(), empty_label=None)

    field_order = ["subject", "title", "summary"]

    def __init__(self, *args: Any, subjects: list[Subject], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["subject"]
        field.queryset = Subject.objects.filter(pk__in=[s.pk for s in subjects]).order_by("name")  # type: ignore[attr-defined]
        if len(subjects) == 1:
            field.initial = subjects[0].pk

    def service_kwargs(self) -> dict[str, Any]:
        return {**super().service_kwargs(), "subject": self.cleaned_data["subject"]}


class LessonForm(forms.Form):
    title = _title_field(_("Titre de la leçon"))
    body = _rich_field(_("Contenu de la leçon"))

    def service_kwargs(self) -> dict[str, Any]:
        return {"title": self.cleaned_data["title"], "body": self.cleaned_data["body"]}


class LessonCreateForm(LessonForm):
    publish = forms.BooleanField(
        label=_("Publier la leçon tout de suite"),
        required=False,
        help_text=_("Sinon, elle reste un brouillon que vous seul et vos collègues de la classe voyez."),
    )

    def service_kwargs(self) -> dict[str, Any]:
        return {**super().service_kwargs(), "publish": self.cleaned_data["publish"]}


class DocumentResourceForm(forms.Form):
    prefix = "doc"
    document = SafeModelChoiceField(
        label=_("Document de mon espace"), queryset=Document.objects.none(), empty_label=_("— choisir —")
    )
    title = forms.CharField(
        label=_("Titre affiché (facultatif)"),
        max_length=TITLE_MAX,
        required=False,
        help_text=_("Par défaut, le nom du document. Il sert aussi de texte de remplacement d'une image."),
    )

    def __init__(self, *args: Any, documents: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["document"].queryset = documents  # type: ignore[attr-defined]
        self.fields["document"].label_from_instance = self._label  # type: ignore[attr-defined]

    @staticmethod
    def _label(document: Document) -> str:
        where = f"{document.folder.name} / " if document.folder is not None else ""
        return f"{where}{document.name} ({document.get_kind_display()})"


class UploadResourceForm(forms.Form):
    prefix = "upload"
    file = forms.FileField(
        label=_("Fichier"),
        help_text=_("PDF, image, son ou vidéo. Il est rangé dans votre espace de documents, puis ajouté à la leçon."),
    )
    title = forms.CharField(label=_("Titre affiché (facultatif)"), max_length=TITLE_MAX, required=False)


class LinkResourceForm(forms.Form):
    prefix = "link"
    title = _title_field(_("Titre du lien"))
    url = forms.CharField(
        label=_("Adresse (https://…)"),
        max_length=URL_MAX,
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_url(self) -> str:
        try:
            return clean_link_url(self.cleaned_data["url"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["url"]) from None


class MoveForm(forms.Form):
    """One step up or down (buttons), or a position typed in."""

    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")], required=False)
    position = forms.IntegerField(label=_("Nouvelle position"), min_value=1, max_value=10_000, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("direction") and data.get("position") is None:
            raise ValidationError(_("Indiquez où déplacer l'élément."))
        return data
