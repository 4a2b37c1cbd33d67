"""The catalog's structure as pages name it: family labels and the category tree in the
order people arranged it. Small reads (tens to hundreds of rows) for facets and filters."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pim.catalog.models import Category, Family


@dataclass(frozen=True, slots=True)
class CategoryNode:
    code: str
    labels: dict[str, str]
    parent: str | None
    depth: int  # 0 for a tree's root


def family_labels(session: Session) -> dict[str, dict[str, str]]:
    """family code -> its labels per locale, in code order."""
    return {code: labels or {} for code, labels in session.execute(
        select(Family.code, Family.labels).order_by(Family.code))}


def category_tree(session: Session) -> list[CategoryNode]:
    """Every category, depth first: each tree's root, then its children in their position
    order, each followed by its own descendants."""
    rows = session.execute(select(Category.id, Category.code, Category.parent_id,
                                  Category.labels).order_by(Category.position, Category.id)
                           ).all()
    codes = {row.id: row.code for row in rows}
    children: dict[int | None, list] = {}
    for row in rows:
        parent = row.parent_id if row.parent_id in codes else None
        children.setdefault(parent, []).append(row)
    tree: list[CategoryNode] = []
    stack = [(row, 0) for row in reversed(children.get(None, []))]
    seen: set[int] = set()
    while stack:
        row, depth = stack.pop()
        if row.id in seen:  # a cycle written by hand: shown once
            continue
        seen.add(row.id)
        tree.append(CategoryNode(row.code, row.labels or {}, codes.get(row.parent_id), depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(row.id, [])))
    return tree
