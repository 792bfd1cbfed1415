"""Writes for contracts and wages (L1, L2; 保障农民工工资支付条例 Art.15, 26, 28, 31), one module per area:
`contracts`, `payrolls`, `payments`. Callers use `services.<name>`; the names are gathered here.

Payroll life: draft (from attendance and contracts) → edited by the employer's labor specialist → each worker
confirms his line (online, or the signed sheet's scan) → submitted: locked, checked by `payroll_problems`
→ reviewed by the general contractor → exported in a bank file through the special account → the bank's
result file marks each line paid or failed; failed lines go back to be fixed and are paid in a later batch.
"""

from smz.labor.services.contracts import (
    PIECE_UNITS,
    ContractInput,
    contract_create,
    contract_errors,
    contract_scan_attach,
    yuan_to_fen,
)
from smz.labor.services.payments import (
    ImportOutcome,
    payment_batch_export,
    payment_receipt_attach,
    payment_result_import,
    wage_account_set,
)
from smz.labor.services.payrolls import (
    LineInput,
    Problem,
    employments_for_month,
    minimum_wage_on,
    payroll_correction_create,
    payroll_draft,
    payroll_draft_delete,
    payroll_line_confirm,
    payroll_line_update,
    payroll_problems,
    payroll_review,
    payroll_signed_sheet_attach,
    payroll_submit,
)
from smz.labor.wages import DEFAULT_PAY_DAY, month_bounds

__all__ = [
    "DEFAULT_PAY_DAY",
    "PIECE_UNITS",
    "ContractInput",
    "ImportOutcome",
    "LineInput",
    "Problem",
    "contract_create",
    "contract_errors",
    "contract_scan_attach",
    "employments_for_month",
    "minimum_wage_on",
    "month_bounds",
    "payment_batch_export",
    "payment_receipt_attach",
    "payment_result_import",
    "payroll_correction_create",
    "payroll_draft",
    "payroll_draft_delete",
    "payroll_line_confirm",
    "payroll_line_update",
    "payroll_problems",
    "payroll_review",
    "payroll_signed_sheet_attach",
    "payroll_submit",
    "wage_account_set",
    "yuan_to_fen",
]
