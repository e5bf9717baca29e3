"""A multi-valued choice field that works the same on SQLite and PostgreSQL.

Values are stored the way the national LMN schema writes them, joined by ``|``, with a
``|`` at both ends so that ``field__has="x"`` is a plain, index-friendly ``LIKE '%|x|%'``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core import checks, exceptions
from django.db import models
from django.utils.translation import gettext_lazy as _


class MultiChoiceField(models.TextField):
    description = _("Liste de valeurs séparées par |")

    def __init__(self, *args: Any, choices_enum: Any = None, **kwargs: Any) -> None:
        self.choices_enum = choices_enum
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):  # type: ignore[no-untyped-def]
        name, path, args, kwargs = super().deconstruct()
        if self.choices_enum is not None:
            kwargs["choices_enum"] = self.choices_enum
        return name, path, args, kwargs

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        return super().check(**kwargs)

    @staticmethod
    def split(value: Any) -> list[str]:
        if value is None or value == "":
            return []
        if isinstance(value, str):
            return [v for v in value.split("|") if v]
        return [str(v) for v in value if v]

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> list[str]:
        return self.split(value)

    def to_python(self, value: Any) -> list[str]:
        return self.split(value)

    def get_prep_value(self, value: Any) -> str:
        items = self.split(value)
        return f"|{'|'.join(items)}|" if items else ""

    def value_to_string(self, obj: models.Model) -> str:
        return "|".join(self.value_from_object(obj) or [])

    def validate(self, value: Any, model_instance: models.Model | None) -> None:
        if not self.editable:
            return
        items = self.split(value)
        if not items and not self.blank:
            raise exceptions.ValidationError(self.error_messages["blank"], code="blank")
        if self.choices_enum is not None:
            allowed = set(self.choices_enum.values)
            unknown = [item for item in items if item not in allowed]
            if unknown:
                raise exceptions.ValidationError(
                    _("Valeur(s) inconnue(s) : %(values)s."),
                    code="invalid_choice",
                    params={"values": ", ".join(unknown)},
                )

    def labels(self, values: Iterable[str]) -> list[str]:
        if self.choices_enum is None:
            return list(values)
        mapping = dict(self.choices_enum.choices)
        return [str(mapping.get(v, v)) for v in values]


@MultiChoiceField.register_lookup
class Has(models.Lookup):
    """``services__has="aide-aux-demarches-administratives"``."""

    lookup_name = "has"
    prepare_rhs = False

    def as_sql(self, compiler, connection):  # type: ignore[no-untyped-def]
        lhs, lhs_params = self.process_lhs(compiler, connection)
        value = f"%|{self.rhs}|%"
        return f"{lhs} LIKE %s", [*lhs_params, value]
