"""The main window's panels: patient browser, patient banner, open editors, lock controller.

``needlelog.ui.main_window.MainWindow`` composes them; docs/ARCHITECTURE.md draws the signals between them.
"""
