"""The append-only journal: who did what to which object, and when.

Rows are written by ``core.journal.record`` and never changed: ``save()`` on an existing
row, ``delete()`` and queryset ``update()``/``delete()`` raise, the admin is read-only, and
a database trigger refuses UPDATE (both databases) and DELETE (PostgreSQL; see ADR 0003).
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.utils.translation import gettext_lazy as _


class JournalIsAppendOnlyError(Exception):
    pass


class JournalQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise JournalIsAppendOnlyError("Le journal ne peut pas être modifié.")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise JournalIsAppendOnlyError("Le journal ne peut pas être effacé.")

    def for_target(self, obj: models.Model) -> JournalQuerySet:
        return self.filter(target_type=obj._meta.label_lower, target_id=str(obj.pk))


class JournalEntry(models.Model):
    created_at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    # Plain columns, not foreign keys: an entry outlives the user or object it names.
    actor_id = models.BigIntegerField(_("auteur (identifiant)"), null=True, blank=True, db_index=True)
    actor_repr = models.CharField(_("auteur"), max_length=255, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.CharField(_("type d'objet"), max_length=100, blank=True)
    target_id = models.CharField(_("identifiant de l'objet"), max_length=64, blank=True)
    target_repr = models.CharField(_("objet"), max_length=255, blank=True)
    data = models.JSONField(_("détails"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)

    objects = JournalQuerySet.as_manager()

    class Meta:
        verbose_name = _("entrée du journal")
        verbose_name_plural = _("journal")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="journal_target_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_repr} {self.action} {self.target_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise JournalIsAppendOnlyError("Une entrée du journal ne peut pas être modifiée.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise JournalIsAppendOnlyError("Une entrée du journal ne peut pas être effacée.")


class ScheduledJob(models.Model):
    """One row per periodic job (``core.scheduler``): when it was last put in the queue.

    The row is locked while a scheduler decides whether the job is due, so that several
    schedulers running at once enqueue a job only once per period (see ADR 0004).
    """

    name = models.CharField(_("tâche"), max_length=200, unique=True)
    last_enqueued_at = models.DateTimeField(_("dernière mise en file"), null=True, blank=True)
    last_result_id = models.CharField(_("dernier identifiant de résultat"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("tâche périodique")
        verbose_name_plural = _("tâches périodiques")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
