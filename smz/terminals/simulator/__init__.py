"""Device simulator (设备模拟器): face gates on device-direct v1 and ZKTeco PUSH terminals, over real HTTP.

`python -m smz.terminals.simulator --help`; docs/devices/simulator.md. Modules: `plan` (who passes when,
outages, upload grouping), `snapshots` (face JPEG variants), `direct_client` and `zkteco_client` (the two
protocols), `wire` (HTTP and the tally), `run` (threads and options), `fromdb` (devices and secrets from the
database, for the demo; the only module that needs Django).
"""
