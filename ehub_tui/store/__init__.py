"""The hub store: tables, engine factory, migrations, queue operations and the audit chain."""
