"""Web pages of projects and tasks, one module per page group; all thin, over the same services
and selectors as the API."""
