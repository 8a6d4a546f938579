"""An import-linter contract import-linter lacks: a package may import only itself and the standard library.

import-linter's own contracts are deny-lists (``forbidden``) or orderings (``layers``); a deny-list of
third-party packages misses the next one somebody installs. This allow-list asks the import graph (grimp,
external packages included, relative and in-function imports resolved) for every module the package's
modules import, and accepts only the package itself and the names in :data:`sys.stdlib_module_names`.
pyproject.toml registers it for ``lint-imports`` as ``standard_library_only``.
"""

from __future__ import annotations

import sys
from typing import Any

from importlinter import Contract, ContractCheck, fields, output

ALWAYS_ALLOWED = frozenset({"__future__"})


class StandardLibraryOnlyContract(Contract):
    """Options: ``source_package``: the package whose modules may import only it and the standard library."""

    type_name = "standard_library_only"

    source_package = fields.StringField()

    def check(self, graph: Any, verbose: bool) -> ContractCheck:
        package = str(self.source_package)
        illegal: list[dict[str, object]] = []
        for importer in sorted({package} | graph.find_descendants(package)):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                if imported == package or imported.startswith(package + "."):
                    continue
                top = imported.split(".", maxsplit=1)[0]
                if top in ALWAYS_ALLOWED or top in sys.stdlib_module_names:
                    continue
                lines = sorted(
                    detail["line_number"] for detail in graph.get_import_details(importer=importer, imported=imported)
                )
                illegal.append({"importer": importer, "imported": imported, "lines": lines})
        return ContractCheck(kept=not illegal, metadata={"illegal": illegal})

    def render_broken_contract(self, check: ContractCheck) -> None:
        output.print_error(f"{self.source_package} may import only itself and the standard library:", bold=False)
        output.new_line()
        for link in check.metadata["illegal"]:
            where = ", ".join(f"l.{line}" for line in link["lines"])
            output.print_error(f"- {link['importer']} -> {link['imported']} ({where})", bold=False)
        output.new_line()
