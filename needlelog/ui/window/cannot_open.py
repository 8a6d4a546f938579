"""What the program says when it cannot start on its chart at all (issue 12, item 5): a path that cannot
be used, a URL that does not parse, a chart locked by another program, a data folder that is a file.

The command line prints the same sentence on stderr and exits 2; a person who started the program from
its icon sees no terminal, so the window says it too, before the program ends. :func:`tell` is a module
function so that tests answer it (a real box would wait for a click).
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

TITLE = "needlelog cannot start"


def tell(text: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Critical, TITLE, f"{text}\n\nneedlelog will close.")
    box.setObjectName("cannotOpenChart")
    box.setAccessibleName("needlelog cannot start")
    box.exec()
