"""A problem with one field: what every rule returns, named by the field's stable path.

Nothing here raises for bad input: callers decide what to do with a list of problems (refuse a save, list what
stops a signature).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field

# A field as parts: ("sites", 2, "dwell_minutes"), ("reactions", "other_text"), ("notes",).
FieldPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """A problem with one field.

    ``field`` is the path as a stable name, such as ``sites[2].dwell_minutes`` (the UI finds the widget
    by it); ``path`` is the same path in parts, ``("sites", 2, "dwell_minutes")``, for code that acts on
    the field (:func:`needlelog.domain.drafts.savable_draft`), so nothing parses the name back. A problem
    made from a plain name has the one-part path ``(field,)``.
    """

    field: str
    message: str
    path: FieldPath = dataclass_field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not self.path:
            object.__setattr__(self, "path", (self.field,))

    @classmethod
    def at(cls, path: FieldPath, message: str) -> FieldProblem:
        return cls(field_name(path), message, path)


def field_name(path: FieldPath) -> str:
    """("sites", 2, "trigger_points", 0) -> "sites[2].trigger_points[0]"."""
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else part)
    return name


def site_field(index: int, name: str) -> str:
    return field_name(("sites", index, name))


def site_number(index: int) -> str:
    """ "Site 2": a site as every problem with it begins."""
    return f"Site {index + 1}"
