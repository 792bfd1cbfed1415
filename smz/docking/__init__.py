"""Platform docking (平台对接, 附件8): contractors' own real-name systems push to smz with the national platform's
protocol, unchanged; spec docs/interfaces/platform-docking.md.

- `protocol.py`: the envelope, signing and AES, as pure functions (gateway, upward client, fake upstream, kit);
- `methods/`: one module per national object, registering its Query/Add/Update methods;
- `services/`: authorizing apps (apps.py), the gateway's checks (gateway.py), processing requests (requests.py);
- `selectors/`: reads in the national field names (national.py) and for the pages;
- `views/`: the gateway endpoint and the pages.
"""
