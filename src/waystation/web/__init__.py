"""The interactive explorer: a FastAPI app serving a JSON API and one page.

Needs the ``[web]`` extra (FastAPI, uvicorn, plotly). ``import waystation``
never imports this package; ``waystation serve`` runs it on 127.0.0.1.
"""

from waystation.web.app import ServerLimits, create_app

__all__ = ["ServerLimits", "create_app"]
