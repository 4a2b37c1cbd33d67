"""Image renditions as a channel declares them: the spec, its hash, the size it gives and its
URL. Pure, so the projection (URLs, width and height in variants) and the hub's renderer
(``pim.media.rendering``) agree on every figure without asking each other.

A rendition is stored once per (asset hash, spec hash) and served by the hub at
``{media_base_url}/r/{spec hash}/{asset hash}.{ext}``; ``media_base_url`` defaults to the hub's
own ``PIM_BASE_URL`` + ``/media`` (a CDN in front of the hub sets it to its own origin). The
spec hash covers everything that changes the output bytes and ``RENDERER_VERSION``, so a new
spec (or a renderer that draws differently) gets new URLs and old ones stay valid forever:
the answers are ``immutable``.

Fits (the words CSS ``object-fit`` and image CDNs use):

- ``contain``: the whole image inside the box, aspect kept; the output is as large as fits,
  so one side may be shorter than the box.
- ``cover``: the box filled, aspect kept, the overflow cropped evenly from both sides.
- ``pad``: ``contain``, then centred on a canvas of exactly the box in ``background``.

No image is enlarged unless ``upscale`` is set: a 600 px source in a 1200 px ``contain`` box
stays 600 px; in a ``pad`` box it is centred at 600 px on the 1200 px canvas.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Bump when the renderer's output for the same spec changes: every spec hash changes with it.
RENDERER_VERSION = 1
MAX_SIDE = 8192

RenditionFit = Literal["contain", "cover", "pad"]
RenditionFormat = Literal["jpeg", "webp", "png"]
# Earlier definitions spelt contain as sharp's "inside".
_FIT_ALIASES = {"inside": "contain"}
EXTENSIONS: dict[str, str] = {"jpeg": "jpg", "webp": "webp", "png": "png"}
MEDIA_TYPES: dict[str, str] = {"jpeg": "image/jpeg", "webp": "image/webp", "png": "image/png"}

# A hub-stored asset's path: ab/cd/<sha256>.<ext> (pim.media.storage.content_path).
_CONTENT_PATH = re.compile(r"^([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})\.([a-z0-9]{1,5})$")
IMAGE_EXTENSIONS = frozenset({"jpg", "png", "webp", "gif"})


class Rendition(BaseModel):
    """One rendition a channel asks for (``renditions: {name: {...}}`` in its definition)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    width: int = Field(gt=0, le=MAX_SIDE)
    height: int = Field(gt=0, le=MAX_SIDE)
    fit: RenditionFit = "contain"
    format: RenditionFormat = "jpeg"
    # JPEG and WebP quality (1-100); PNG is lossless and ignores it.
    quality: int = Field(85, ge=1, le=100)
    # ``#rrggbb`` or ``#rrggbbaa``: what transparency is flattened onto for JPEG, and the
    # padding of ``pad``. PNG and WebP keep transparency and pad with this colour.
    background: str = Field("#ffffff", pattern=r"^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$")
    upscale: bool = False

    @field_validator("fit", mode="before")
    @classmethod
    def _legacy_fit(cls, value: Any) -> Any:
        return _FIT_ALIASES.get(value, value) if isinstance(value, str) else value

    @model_validator(mode="before")
    @classmethod
    def _no_null_background(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and raw.get("background", "") is None:
            raw = {key: value for key, value in raw.items() if key != "background"}
        return raw

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    @cached_property
    def spec_hash(self) -> str:
        return spec_hash(self)

    def canonical(self) -> dict[str, Any]:
        """What decides the output bytes, normalised (a PNG's quality counts for nothing)."""
        return {"v": RENDERER_VERSION, "width": self.width, "height": self.height,
                "fit": self.fit, "format": self.format,
                "quality": None if self.format == "png" else self.quality,
                "background": self.background.lower(), "upscale": self.upscale}

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        """The rendition's size for a source of ``width`` x ``height`` (already upright)."""
        return output_geometry(self, width, height)[1]


def spec_hash(spec: Rendition) -> str:
    """16 hex digits of the sha256 of the canonical spec (64 bits: no two specs meet)."""
    text = json.dumps(spec.canonical(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def output_geometry(spec: Rendition, width: int, height: int
                    ) -> tuple[tuple[int, int], tuple[int, int]]:
    """``(scaled size, output size)``: what the source is resized to, and the final canvas
    (the scaled image cropped for ``cover``, padded for ``pad``)."""
    box_w, box_h = spec.width, spec.height
    ratio_w, ratio_h = box_w / width, box_h / height
    scale = max(ratio_w, ratio_h) if spec.fit == "cover" else min(ratio_w, ratio_h)
    if not spec.upscale:
        scale = min(scale, 1.0)
    scaled = (max(1, round(width * scale)), max(1, round(height * scale)))
    if spec.fit == "cover":
        return scaled, (min(box_w, scaled[0]), min(box_h, scaled[1]))
    if spec.fit == "pad":
        return (min(box_w, scaled[0]), min(box_h, scaled[1])), (box_w, box_h)
    return (min(box_w, scaled[0]), min(box_h, scaled[1])), (min(box_w, scaled[0]),
                                                            min(box_h, scaled[1]))


def stored_asset(path: str) -> tuple[str, str] | None:
    """``(sha256, extension)`` of a hub-stored asset's path, or None for anything else (an
    http(s) URL not fetched yet, or a path the hub did not write)."""
    found = _CONTENT_PATH.match(path)
    if found is None or found[3][:2] != found[1] or found[3][2:4] != found[2]:
        return None
    return found[3], found[4]


def rendition_url(base_url: str, spec: Rendition, sha256: str) -> str:
    return f"{base_url.rstrip('/')}/r/{spec.spec_hash}/{sha256}.{spec.extension}"
