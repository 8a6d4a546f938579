"""Dialogs: opened with open(), never blocking exec()."""
