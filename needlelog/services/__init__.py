"""Use cases: one transaction each, typed errors, no Qt."""
