"""Documentation of abuses: events, acts, perpetrators, sources, corroboration and evidence.

Modelled on the HURIDOCS events standard formats: an event has acts (what was done to a
victim), involvements (who did it), and pieces of information that tie sources to them.
"""

from django.apps import AppConfig


class DocumentationConfig(AppConfig):
    name = "corridor.documentation"
    label = "documentation"
    default_auto_field = "django.db.models.BigAutoField"
