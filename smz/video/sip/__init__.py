"""smz's own GB/T 28181 SIP server (V2, 附件2 §4): cameras and recorders that register directly to smz.

    message.py   SIP message parser and serializer (RFC 3261 subset GB/T 28181 uses), with input limits
    digest.py    digest authentication (RFC 2617 / RFC 7616 MD5, qop=auth optional), stateless HMAC nonces
    manscdp.py   MANSCDP XML bodies (Keepalive, Catalog, DeviceInfo), GB2312/GBK and UTF-8, no DTD/entities
    store.py     the database side (sync Django ORM, run in one worker thread): lookups, batched writes
    server.py    the asyncio server (UDP and TCP), registrations, keepalives, queries, flood control

Started by `python manage.py video_sip_server`; cameras are simulated by `python -m smz.video.simulator`.
docs/devices/video-sip.md says what it accepts and why the parser is our own."""
