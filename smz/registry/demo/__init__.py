"""演示城市 (demo city): a fictional Zhongshan with firms, projects, people and one login per role.

`plan_demo_city` draws the whole city from seeded random streams, without touching the database: the same size
gives the same city. `build_demo_city` writes it, keyed by natural keys (USCC, project code, ID-number index,
(project, enterprise, name) for teams, username, ...) and creating only what is missing, so a second run adds
nothing. Dates are relative to `today`, so the demo always looks current.

Every name is obviously fictional (示例 / 演示); ID numbers and USCCs are checksum-valid but synthetic
(smz.registry.synthetic). Used by `manage.py seed_demo` and `manage.py demo_logins`.

Modules: `city` (the fixed cast), `plan` (the random draw), `build` (writing it, the logins).
"""

from smz.registry.demo.build import (
    LOGINS,
    SUPERUSER,
    Login,
    build_demo_city,
    database_has_data,
    demo_city_started,
    demo_counts,
    login_rows,
)
from smz.registry.demo.city import (
    DEFAULT_WORKERS,
    DEMO_PASSWORD,
    DEMO_URL,
    LABOR,
    SITES,
    luhn_complete,
)
from smz.registry.demo.plan import CityPlan, plan_demo_city

__all__ = [
    "DEFAULT_WORKERS",
    "DEMO_PASSWORD",
    "DEMO_URL",
    "LABOR",
    "LOGINS",
    "SITES",
    "SUPERUSER",
    "CityPlan",
    "Login",
    "build_demo_city",
    "database_has_data",
    "demo_city_started",
    "demo_counts",
    "login_rows",
    "luhn_complete",
    "plan_demo_city",
]
