"""The client façade: what the app and the command line ask of a folder.

Both sit on it and on the store's query functions, never on the store's
models: logging in (`login`), this folder's engine and status (`session`),
values and names as an editor reads them (`labels`, `file_views`) and
conflicts shaped for display and for resolving (`conflict_view`,
`conflict_loading`). Plain Python: no Textual, no terminal output.
"""
