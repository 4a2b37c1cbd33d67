"""The product grid (``/products``), on the search slice."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from pim.web.pages import page


@get("/products", include_in_schema=False, sync_to_thread=True)
def products_page(request: Request) -> Template:
    return page(request, "products/index.html", title="Products")


ROUTES = [products_page]
