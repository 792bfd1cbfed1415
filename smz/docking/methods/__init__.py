"""The gateway's methods: `base` holds the registry; each module below registers the methods of one national
object when imported. METHODS maps a method name (e.g. `Team.Add`) to its Method."""

from smz.docking.methods import (  # noqa: F401  (registration)
    async_result,
    attendance,
    contract,
    entry_exit,
    participant,
    payroll,
    project,
    team,
    training,
    worker,
)
from smz.docking.methods.base import MAX_RECORDS, METHODS, Call, MethodResult, RequestRefused

__all__ = ["MAX_RECORDS", "METHODS", "Call", "MethodResult", "RequestRefused"]
