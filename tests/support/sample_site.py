"""The sample site the tests read: a copy of content/ as it was written for them.

content/ is the newcomer's playground (the README invites editing it); tests never read it, so
editing it never breaks `make test`.
"""

from pathlib import Path

SAMPLE_SITE = Path(__file__).resolve().parents[1] / "fixtures" / "sample-site"
