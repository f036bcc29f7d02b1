"""The fieldsync terminal app (Textual): screens and widgets over the sync engine.

The app never talks HTTP and never blocks its event loop: every network or
database call runs in a thread worker, which posts a message (messages.py)
that a handler on the event loop turns into what the editor sees.
"""
