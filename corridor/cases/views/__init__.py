"""Pages for case work, one module per area; each exposes its own `urlpatterns`."""
