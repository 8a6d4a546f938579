"""Plain Python: the clinic's vocabulary, value objects and rules. No Qt, no database."""
