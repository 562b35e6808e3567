"""The review workflow: frozen versions compared, a reviewer's queue, comments, waivers and decisions.

Modules: ``areas`` (what a re-review is scoped by), ``diff`` and ``notebooks`` (comparing two versions, pure),
``gate`` (what blocks submission and approval), ``services`` (every write), ``selectors`` (team-scoped reads),
``presenters`` (page contexts), ``forms``, ``urls``, ``admin``.
"""
