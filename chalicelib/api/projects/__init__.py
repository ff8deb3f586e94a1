"""Projects: drafting, the review lifecycle, uploads, progress feedback, the public page.

One blueprint, ``bp``; its routes live in ``routes`` (page and lifecycle) and
``feedback`` (uploads and progress feedback), registered in that order.
"""

from chalicelib.api.projects import feedback as feedback  # registers its routes on bp
from chalicelib.api.projects.routes import bp as bp

__all__ = ["bp"]
