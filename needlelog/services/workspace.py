"""Which drafts are open on this PC, so that a program that was killed reopens them.

A small JSON file in the data folder, written atomically (write, fsync, rename), keyed by
the chart's location so that two charts on one PC do not mix. It holds session ids only:
nothing that identifies a patient.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


class OpenDrafts:
    def __init__(self, file: Path, chart: str) -> None:
        self._file = file
        self._chart = chart

    def _read_all(self) -> dict[str, list[int]]:
        try:
            data = json.loads(self._file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # missing or damaged: nothing to reopen, which is never worse than before
        if not isinstance(data, dict):
            return {}
        return {str(k): [int(i) for i in v if isinstance(i, int)] for k, v in data.items() if isinstance(v, list)}

    def _write_all(self, data: dict[str, list[int]]) -> None:
        self._file.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".open-drafts.", dir=self._file.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self._file)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def ids(self) -> list[int]:
        return list(self._read_all().get(self._chart, []))

    def opened(self, session_id: int) -> None:
        data = self._read_all()
        ids = data.setdefault(self._chart, [])
        if session_id not in ids:
            ids.append(session_id)
            self._write_all(data)

    def closed(self, session_id: int) -> None:
        data = self._read_all()
        ids = data.get(self._chart, [])
        if session_id in ids:
            ids.remove(session_id)
            self._write_all(data)
