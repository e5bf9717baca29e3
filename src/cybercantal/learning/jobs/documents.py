"""Periodic job of part "documents": stored files that no document refers to are removed.

Every night at 03:40 (Europe/Paris). Such files come from an upload whose row was never
committed (a crash between writing the file and the commit, an outer transaction rolled
back); files younger than a day are left alone, so an upload in progress is never touched.
"""

from __future__ import annotations

from django_tasks import task

from cybercantal.core.scheduler import periodic

from ..services import documents


@periodic(hour=3, minute=40)
@task()
def learning_remove_orphan_files() -> int:
    """Remove the ENT files without a document, older than a day."""
    return documents.orphan_files_remove()
