"""Artifacts of a listing: uploads (plain and resumable), inspection of the bytes, storage once per sha256,
removal, download, and the panel on the listing page.

- ``receiving``: scratch files and the upload handler that hashes bytes as they arrive
- ``sniff`` / ``inspect``: what the bytes are, and whether they are whole and safe to keep
- ``limits``: per-kind size limits (from the rules catalog where AWS owns the number) and our guards
- ``services``: every write (add, remove, resumable upload sessions), audited, with a validation run after
- ``selectors`` / ``views`` / ``urls`` / ``forms``: the team-scoped pages and endpoints
"""
