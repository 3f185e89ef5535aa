"""`feedpub dev`, `publish` and `invoke`: the serverless pipeline on one machine (docs/local.md).

Importing this package is cheap (help and argument parsing use it): the embedded AWS, the watcher
and the edge live in its submodules, imported by the commands that run them.
"""

from pathlib import Path

# The pipeline `feedpub dev` and `feedpub invoke` mirror: the repository's SAM template.
DEFAULT_TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"
