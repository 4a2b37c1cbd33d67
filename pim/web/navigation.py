"""The navigation: one entry per page that exists, in the order the bar shows them.

A page of part 2 (imports, bulk edits, releases, channels, media, administration) adds one
``NavItem`` here, in its section; the bar, the active state, the narrow-screen menu and the
role filter follow. Sections group the entries as the bar reads left to right: *catalog*
(find and enrich), *workflow* (plan and publish), *operations* (imports, jobs, media) and
*administration* (admin only). An entry names the roles that see it (``READ``: everyone
signed in); a role that may not use a page does not see its link, and the page's service
refuses it anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

from pim.auth.actor import READ, Actor, may

SECTIONS = ("catalog", "workflow", "operations", "administration")


@dataclass(frozen=True, slots=True)
class NavItem:
    label: str
    path: str
    section: str
    roles: tuple[str, ...] = READ

    def active_for(self, path: str) -> bool:
        if self.path == "/":
            return path == "/"
        return path == self.path or path.startswith(self.path + "/")


NAV: tuple[NavItem, ...] = (
    NavItem("Dashboard", "/", "catalog"),
    NavItem("Products", "/products", "catalog"),
    # workflow: NavItem("Releases", "/releases", "workflow"), NavItem("Channels", ...)
    # operations: NavItem("Imports", "/imports", "operations", WRITE_CONTENT), "Media", ...
    # administration: NavItem("Users", "/admin/users", "administration", MANAGE), ...
)


def navigation_for(actor: Actor | None, path: str) -> list[dict]:
    """The entries ``actor`` sees, in order, each with whether it is the current page."""
    if actor is None:
        return []
    return [{"label": item.label, "path": item.path, "section": item.section,
             "active": item.active_for(path)}
            for item in NAV if may(actor, item.roles)]
