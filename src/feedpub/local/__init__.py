"""`feedpub dev`, `publish` and `invoke`: the serverless pipeline on one machine (docs/local.md).

Importing this package is cheap (help and argument parsing use it): the embedded AWS, the watcher
and the edge live in its submodules, imported by the commands that run them. The Lambda handlers
are never imported by the engine: feedpub.local.functions finds the installed ones.
"""
