"""Database triggers that keep the journal append-only (ADR 0003).

UPDATE is refused on both databases. DELETE is refused on PostgreSQL by a row trigger;
TRUNCATE (used only by the test runner's flush) stays possible. On SQLite the DELETE
trigger is not installed because the test runner flushes tables with DELETE; the model
and queryset guards still refuse it in the application.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            """
            CREATE OR REPLACE FUNCTION core_journal_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'Le journal est en ajout seul : % refusé.', TG_OP;
            END;
            $$ LANGUAGE plpgsql;
            """,
            params=None,  # no parameters: the "%" of RAISE must reach PostgreSQL as it is
        )
        schema_editor.execute(
            "CREATE TRIGGER core_journal_no_update BEFORE UPDATE OR DELETE ON core_journalentry "
            "FOR EACH ROW EXECUTE FUNCTION core_journal_append_only();"
        )
    elif vendor == "sqlite":
        schema_editor.execute(
            "CREATE TRIGGER core_journal_no_update BEFORE UPDATE ON core_journalentry "
            "BEGIN SELECT RAISE(ABORT, 'Le journal est en ajout seul : UPDATE refusé.'); END;"
        )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    schema_editor.execute("DROP TRIGGER IF EXISTS core_journal_no_update" + (" ON core_journalentry" if vendor == "postgresql" else ""))
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS core_journal_append_only();")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
