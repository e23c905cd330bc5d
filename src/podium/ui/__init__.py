"""The web UI served by ``podium server`` at ``/``: one HTML shell and hand-written static assets.

The pages are vanilla ES modules under ``static/`` that talk only to the REST API; nothing is built at
install time. Include :data:`router` in the application to serve them.
"""

from podium.ui.pages import not_found_page, router

__all__ = ["not_found_page", "router"]
