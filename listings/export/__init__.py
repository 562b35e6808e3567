"""The submission bundle (DESIGN.md "Export: the submission bundle"; issue 7).

``service`` plans, writes, stores and hands off a bundle; ``zipstream`` is the deterministic streaming zip;
``layout`` places the artifacts; ``aws_requests`` builds and validates the SageMaker and Catalog requests;
``documents``, ``reports``, ``readme``, ``notebook`` and ``sbom`` write the generated files; ``csvsafe`` keeps
any CSV we write safe in a spreadsheet; ``options`` and ``forms`` are the seller's choices; ``s3`` and
``dryrun`` are the optional hand-off.
"""
