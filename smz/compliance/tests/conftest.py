import pytest

from smz.compliance.services import rule_table_load


@pytest.fixture
def rules(db):
    """The shipped deduction table (附件6 v1), phases and regimes, loaded."""
    return rule_table_load()
