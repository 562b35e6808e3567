"""The sections a seller edits one at a time; defined with the snapshot's shape in validation/snapshot_schema.py."""

from validation.snapshot_schema import BY_NAME, SECTIONS, Section, section_of_location, sections_for

__all__ = ["BY_NAME", "SECTIONS", "Section", "section_of_location", "sections_for"]
