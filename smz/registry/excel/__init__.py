"""Roster Excel (花名册): the import template, the all-or-nothing import, and the masked export (R3, N1, N2).

Import: every row is checked first (identity, employment, employer, team, duplicates in the file, people
already on the project). One bad row rejects the whole file, so nobody has to untangle a half-imported
roster; the caller gets every error at once. When all rows pass, they are written in one transaction
through worker_for_entry and employment_register, so permissions and events are those of a single registration.

Modules: `columns` (the workbook's shape), `importing` (reading and importing), `workbooks` (template
and export).
"""

from smz.core.downloads import XLSX_CONTENT_TYPE
from smz.registry.excel.columns import (
    IMPORT_ROLES,
    MAX_BYTES,
    MAX_ROWS,
    NOTE_MARK,
)
from smz.registry.excel.importing import (
    roster_import,
    roster_import_upload,
    roster_parse,
    roster_validate,
)
from smz.registry.excel.workbooks import (
    BOLD,
    HEADER_FILL,
    employment_export,
    roster_template,
    xlsx_response,
)

__all__ = [
    "BOLD",
    "HEADER_FILL",
    "IMPORT_ROLES",
    "MAX_BYTES",
    "MAX_ROWS",
    "NOTE_MARK",
    "XLSX_CONTENT_TYPE",
    "employment_export",
    "roster_import",
    "roster_import_upload",
    "roster_parse",
    "roster_template",
    "roster_validate",
    "xlsx_response",
]
