"""factory_boy factories for people, organisations and memberships (other apps may reuse them)."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from cybercantal.accounts.models import Organisation, RoleMembership, User

PASSWORD = "motdepasse-de-test-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@exemple.test")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Testeur{n}")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(self, create: bool, extracted: bool | None, **kwargs: Any) -> None:
        """A verified primary address (as after clicking the confirmation link); ``verified=False`` to skip."""
        if not create or extracted is False:
            return
        from allauth.account.models import EmailAddress

        EmailAddress.objects.get_or_create(user=self, email=self.email, defaults={"verified": True, "primary": True})


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation test {n}")
    slug = factory.Sequence(lambda n: f"organisation-test-{n}")
    kind = Organisation.Kind.ASSOCIATION


class MembershipFactory(factory.django.DjangoModelFactory):
    """A membership written directly (no journal): for setting up tests, not for testing grants."""

    class Meta:
        model = RoleMembership
        exclude = ["scope"]

    user = factory.SubFactory(UserFactory)
    role = "citizen"
    scope = None
    scope_type = factory.LazyAttribute(lambda o: ContentType.objects.get_for_model(o.scope) if o.scope else None)
    scope_id = factory.LazyAttribute(lambda o: o.scope.pk if o.scope else None)
    starts_on = factory.LazyFunction(timezone.localdate)
    ends_on = None
