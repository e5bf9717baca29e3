"""Back office for people, organisations and role memberships.

Every write goes through ``services`` (journalled): granting a role is the membership
"add" form (``RoleGrantForm`` -> ``role_grant``), changing one only sets its last day
(``RoleEndForm`` -> ``role_end``), organisations go through ``organisation_create`` /
``organisation_update``, and a person is anonymised, never deleted. Who sees what is
decided by the rules in ``permissions.py`` (``accounts.view_user``...).

The admin's own login page is replaced by allauth's (password + TOTP): otherwise the
admin would be a way round the two-factor sign-in.
"""

from __future__ import annotations

from typing import Any

from allauth.account.decorators import secure_admin_login
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cybercantal.core import journal

from . import services
from .forms import OrganisationForm, RoleEndForm, RoleGrantForm
from .models import Organisation, RoleMembership, User

admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]


# --- People ---------------------------------------------------------------------------------------


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name")


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class ScopeLabelMixin:
    """The "périmètre" column of memberships (the membership list and a person's inline)."""

    @admin.display(description=_("périmètre"))
    def scope_label(self, obj: RoleMembership) -> str:
        return str(obj.scope) if obj.scope_id else str(_("tout le département"))


def _refusal(exc: ValidationError | PermissionDenied) -> str:
    """The French sentence of a service's refusal, for an admin message."""
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


class MembershipInline(ScopeLabelMixin, admin.TabularInline):
    """The person's roles, read-only: grant with the link above, end from the role's page."""

    model = RoleMembership
    fk_name = "user"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["role", "scope_label", "starts_on", "ends_on", "granted_by"]
    readonly_fields = fields
    verbose_name_plural = _("rôles (pour en ajouter : « Attribuer un rôle » ci-dessus)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[RoleMembership]:
        return super().get_queryset(request).select_related("granted_by", "scope_type").prefetch_related("scope")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DeletionRequestedFilter(admin.SimpleListFilter):
    title = _("suppression demandée")
    parameter_name = "suppression"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("oui", _("Oui")), ("non", _("Non"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        if self.value() == "oui":
            return queryset.filter(deletion_requested_at__isnull=False)
        if self.value() == "non":
            return queryset.filter(deletion_requested_at__isnull=True)
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active", "is_staff", "deletion_requested_at"]
    list_filter = ["is_active", "is_staff", "is_superuser", DeletionRequestedFilter]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Identité"), {"fields": ("first_name", "last_name", "phone")}),
        (_("Accès"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined", "deletion_requested_at")}),
        (_("Rôles"), {"fields": ("grant_role_link",)}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "first_name", "last_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ["last_login", "date_joined", "deletion_requested_at", "grant_role_link"]
    inlines = [MembershipInline]
    actions = ["anonymise", "reset_mfa"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:  # only a superuser makes superusers or raw permissions
            fields += ["is_superuser", "groups", "user_permissions"]
        return fields

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return super().get_inline_instances(request, obj) if obj is not None else []

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        if not request.user.has_perm("accounts.anonymise_user"):
            actions.pop("anonymise", None)
            actions.pop("reset_mfa", None)
        return actions

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # people are anonymised (action), never deleted: the journal must keep its meaning

    @admin.display(description=_("attribuer un rôle"))
    def grant_role_link(self, obj: User) -> str:
        if obj.pk is None:
            return "—"
        url = reverse("admin:accounts_rolemembership_add") + f"?user={obj.pk}"
        return format_html('<a class="button" href="{}">{}</a>', url, _("Attribuer un rôle"))

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        services.user_save(
            actor=request.user,
            user=obj,
            created=not change,
            fields=list(form.changed_data),
            ip_address=journal.client_ip(request),
        )

    @admin.action(description=_("Anonymiser les personnes sélectionnées (irréversible)"))
    def anonymise(self, request: HttpRequest, queryset: QuerySet[User]) -> HttpResponse | None:
        if request.POST.get("post") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": _("Anonymiser des personnes"),
                "people": queryset,
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "accounts/admin/anonymise_confirmation.html", context)
        done = 0
        for person in queryset:
            try:
                services.user_anonymise(actor=request.user, user=person)
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{person.email} : {_refusal(exc)}", messages.ERROR)
        if done:
            self.message_user(
                request,
                ngettext("%(n)d personne anonymisée.", "%(n)d personnes anonymisées.", done) % {"n": done},
                messages.SUCCESS,
            )
        return None

    @admin.action(description=_("Réinitialiser la double authentification (nouveau téléphone)"))
    def reset_mfa(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for person in queryset:
            services.user_mfa_reset(actor=request.user, user=person)
        self.message_user(
            request,
            _("Double authentification réinitialisée : la personne l'activera de nouveau à sa prochaine connexion."),
            messages.SUCCESS,
        )


# --- Organisations ------------------------------------------------------------------------------


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationForm
    list_display = ["name", "kind", "siret", "commune"]
    list_filter = ["kind"]
    list_select_related = ["commune"]
    search_fields = ["name", "siret", "slug"]
    readonly_fields = ["slug", "created_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Organisation, form: Any, change: bool) -> None:
        data = {field: form.cleaned_data[field] for field in OrganisationForm.Meta.fields}
        if change:
            # The form has already copied its values onto ``obj``: the service compares
            # them with the stored row to journal what really changed.
            stored = Organisation.objects.get(pk=obj.pk)
            services.organisation_update(actor=request.user, organisation=stored, **data)
        else:
            created = services.organisation_create(actor=request.user, **data)
            obj.pk = created.pk
            obj.slug = created.slug


# --- Role memberships ---------------------------------------------------------------------------


class ActiveMembershipFilter(admin.SimpleListFilter):
    title = _("en cours")
    parameter_name = "en_cours"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("oui", _("En cours aujourd'hui")), ("non", _("Terminé ou à venir"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[RoleMembership]) -> QuerySet[RoleMembership]:
        active = RoleMembership.objects.active().values("pk")
        if self.value() == "oui":
            return queryset.filter(pk__in=active)
        if self.value() == "non":
            return queryset.exclude(pk__in=active)
        return queryset


def _bind_actor(form_class: type, actor: Any, admin_site: Any = None) -> type:
    class BoundForm(form_class):  # type: ignore[valid-type, misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("actor", actor)
            super().__init__(*args, **kwargs)
            if admin_site is not None and "user" in self.fields:
                # Search people by email instead of listing them all in a <select>.
                field = self.fields["user"]
                field.widget = AutocompleteSelect(RoleMembership._meta.get_field("user"), admin_site)
                field.widget.choices = field.choices

    BoundForm.__name__ = form_class.__name__
    return BoundForm


@admin.register(RoleMembership)
class RoleMembershipAdmin(ScopeLabelMixin, admin.ModelAdmin):
    list_display = ["user", "role", "scope_label", "starts_on", "ends_on", "is_active_today", "granted_by"]
    list_filter = ["role", ActiveMembershipFilter, "scope_type"]
    list_select_related = ["user", "granted_by", "scope_type"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    date_hierarchy = "starts_on"
    actions = ["end_today"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[RoleMembership]:
        return super().get_queryset(request).prefetch_related("scope")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> type:
        if obj is not None:
            return _bind_actor(RoleEndForm, request.user)
        return _bind_actor(RoleGrantForm, request.user, self.admin_site)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[tuple[Any, dict[str, Any]]]:
        if obj is None:
            fields = list(RoleGrantForm(actor=request.user).fields)
            return [(None, {"fields": fields})]
        return [(None, {"fields": [*self.get_readonly_fields(request, obj), "ends_on"]})]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return ["user", "role", "scope_label", "starts_on", "granted_by", "created_at"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("starts_on", timezone.localdate())
        return initial

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a role ends (last day), it is not deleted

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=_("en cours"), boolean=True)
    def is_active_today(self, obj: RoleMembership) -> bool:
        today = timezone.localdate()
        return obj.starts_on <= today and (obj.ends_on is None or obj.ends_on >= today)

    def save_model(self, request: HttpRequest, obj: RoleMembership, form: Any, change: bool) -> None:
        if change:
            if "ends_on" in form.changed_data:
                services.role_end(actor=request.user, membership=obj, on=form.cleaned_data["ends_on"])
            return
        membership = form.grant()
        obj.pk = membership.pk
        obj.starts_on = membership.starts_on
        obj.created_at = membership.created_at

    @admin.action(description=_("Terminer aujourd'hui les rôles sélectionnés"))
    def end_today(self, request: HttpRequest, queryset: QuerySet[RoleMembership]) -> None:
        today = timezone.localdate()
        ended = 0
        for membership in queryset.select_related("user"):
            try:
                services.role_end(actor=request.user, membership=membership, on=today)
                ended += 1
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{membership} : {_refusal(exc)}", messages.WARNING)
        if ended:
            self.message_user(
                request,
                ngettext("%(n)d rôle terminé.", "%(n)d rôles terminés.", ended) % {"n": ended},
                messages.SUCCESS,
            )
