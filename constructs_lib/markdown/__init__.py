"""The Markdown plan (the Implementation Plan template) as an input and an output of infraplan.

``reader.py`` reads a filled template into a typed model (``model.py``) that keeps the Markdown line of
every value; ``mapping.py`` turns that model into plan files (``infraplan import``); ``writer.py`` writes
a plan back in the template's format (``infraplan document``). docs/markdown.md has the mapping table.
"""

from .mapping import import_markdown, plan_files
from .model import MarkdownPlan
from .reader import read_markdown
from .writer import document

__all__ = ["MarkdownPlan", "document", "import_markdown", "plan_files", "read_markdown"]
