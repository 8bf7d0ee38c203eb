"""The OpenAI audio and Realtime protocol, once, for the client and the emulator (pure: no I/O).

``formats`` (audio formats and rates), ``voices`` (per surface), ``models`` (the catalogue), ``session``
(GA defaults, normalisation, ``session.update`` merge), ``validate`` (client events and REST bodies parsed
with the installed SDK's pydantic types), ``events`` (server-event constructors), ``billing`` (audio and text
tokens, caching, the usage object shared with :mod:`voicelab.pricing`), ``errors`` (OpenAI's error
vocabulary for REST and WebSocket).
"""
