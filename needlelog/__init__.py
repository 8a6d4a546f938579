"""needlelog: charting dry needling / IMS sessions and printing signed visit notes."""

__version__ = "0.1.0"
