"""Small shared pieces of the interface."""
