"""coopflow's Alembic migrations, run from code by coopflow.migrate()."""
