"""The Qt user interface. Qt lives here and only here; the database never does."""
