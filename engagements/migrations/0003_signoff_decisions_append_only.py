"""On PostgreSQL the database itself refuses UPDATE and DELETE on sign-off decisions."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION waypoint_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'sign-off decisions are append-only: % refused on %', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER signoff_decision_append_only
    BEFORE UPDATE OR DELETE ON engagements_signoffdecision
    FOR EACH ROW EXECUTE FUNCTION waypoint_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS signoff_decision_append_only ON engagements_signoffdecision;
DROP FUNCTION IF EXISTS waypoint_refuse_change();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)  # the SQL has a literal %


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("engagements", "0002_charter_and_gates")]

    operations = [migrations.RunPython(forwards, backwards)]
