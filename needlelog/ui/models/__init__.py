"""Qt item models, fed rows by the window (never querying themselves)."""
