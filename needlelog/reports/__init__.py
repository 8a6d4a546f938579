"""PDF visit notes, combined exports and CSV: domain objects in, bytes out. No Qt, no database."""
