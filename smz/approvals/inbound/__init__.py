"""Inbound notices (市级系统对接, /inbound/v1/): the permit system, the quality center and the safety center post
their notices, signed like the device protocol (spec: docs/interfaces/inbound.md).

- `api.py`: the Ninja API mounted at /inbound/v1/ (signature, replay and clock checks, the three endpoints);
- `services.py`: handling a notice once (idempotent per message id) and its effect; registering, rotating and
  retiring systems;
- `selectors.py`: the city administrator's reads (systems, recent messages, the sandbox's examples);
- `views.py`: the pages 市级系统对接 and 接口沙箱 (routes listed in smz/approvals/urls.py);
- `kinds.py`: the message kinds and who may send each.
"""
