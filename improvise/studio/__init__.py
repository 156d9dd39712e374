"""`improvise studio`: the live engine, the soloist and the blues model behind a local web page.

- protocol.py: the WebSocket message schema, every message checked before the engine sees it.
- session.py: one jam engine per WebSocket connection, on the page's Web Audio clock.
- sounds.py: instrument samples rendered once from the General MIDI soundfont, cached.
- solo.py, blues.py: the Solo and Blues tabs (run folders the CLI can render and reuse).
- server.py: HTTP and WebSocket (Starlette on uvicorn), 127.0.0.1 only by default.
- static/: the page, plain JavaScript modules and Web Audio, nothing fetched from elsewhere.
"""
