"""`feedpub dev`, `publish` and `invoke`: the serverless pipeline on one machine (docs/local.md)."""
