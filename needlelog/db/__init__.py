"""Storage: SQLAlchemy models, the engine, migrations and the queries services use."""
