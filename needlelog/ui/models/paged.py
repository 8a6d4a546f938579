"""A table model over rows that arrive a page at a time (``canFetchMore`` / ``fetchMore``).

The model never queries: it is given the first page and a ``fetch_page(offset, limit)``
callable by its owner, so 500,000 sessions cost what one screen shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

Row = TypeVar("Row")
Index = QModelIndex | QPersistentModelIndex
PAGE = 100
_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole


class PagedTableModel(QAbstractTableModel, Generic[Row]):
    headers: Sequence[str] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []
        # Display text is made once when rows arrive, not on every paint (data() is called per cell per role).
        self._cells: list[tuple[str, ...]] = []
        self._fetch: Callable[[int, int], list[Row]] | None = None
        self._exhausted = True

    # --- feeding ---------------------------------------------------------------------
    def set_rows(
        self,
        first_page: list[Row],
        fetch_page: Callable[[int, int], list[Row]] | None = None,
    ) -> None:
        """Replace the rows; ``fetch_page`` brings more when the view scrolls near the end."""
        self.beginResetModel()
        self._rows = list(first_page)
        self._cells = [self._display_row(r) for r in self._rows]
        self._fetch = fetch_page
        self._exhausted = fetch_page is None or len(first_page) < PAGE
        self.endResetModel()

    def clear(self) -> None:
        self.set_rows([])

    def row_at(self, row: int) -> Row | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    # --- Qt model API ----------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's own signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(self.headers):
            return self.headers[section]
        return None

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: Index) -> None:
        if parent.isValid() or self._exhausted or self._fetch is None:
            return
        more = self._fetch(len(self._rows), PAGE)
        self._exhausted = len(more) < PAGE
        if more:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(more) - 1)
            self._rows.extend(more)
            self._cells.extend(self._display_row(r) for r in more)
            self.endInsertRows()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # A view asks for every role of every visible cell at each paint: the roles shown here are told apart
        # first, so the others (font, colours, alignment...) cost one comparison.
        if role not in (_DISPLAY, _TOOLTIP):
            return None
        row = index.row()
        if not index.isValid() or not 0 <= row < len(self._rows):
            return None
        if role == _DISPLAY:
            return self._cells[row][index.column()]
        return self.tooltip(self._rows[row], index.column())

    def _display_row(self, row: Row) -> tuple[str, ...]:
        return tuple(self.display(row, column) for column in range(len(self.headers)))

    def display(self, row: Row, column: int) -> str:
        raise NotImplementedError

    def tooltip(self, row: Row, column: int) -> str | None:
        return None
