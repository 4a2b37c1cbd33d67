"""Images in a channel variant: ``images`` (the URLs of the channel's main rendition, main
image first) and ``image_renditions`` (per image, every rendition the channel declares with
its URL, media type and, once the source's size is known, width and height).

Pure: what the hub knows of each stored asset arrives as :data:`MediaFacts`. A stored asset
that cannot be drawn (a PDF, an image the renderer refused) is left out of both fields and
reported as a problem on its attribute, which the channel check turns into a completeness
error: a feed never carries a URL that does not answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from channels.definition import ChannelDefinition, FieldSource
from channels.renditions import IMAGE_EXTENSIONS, Rendition, rendition_url, stored_asset
from channels.resolution import ValueLookup, media_url
from pim.records import AssetFacts, CatalogContext, ValueProblem

MediaFacts = Mapping[str, AssetFacts]
"""The facts of stored assets by the path a media value holds."""

# Where the hub serves media when the channel names no media_base_url and the hub did not
# fill in its own base URL (pure uses of the projection: tests, previews).
DEFAULT_MEDIA_BASE = "/media"


def project_images(fields: dict[str, Any], problems: list[ValueProblem], lookup: ValueLookup,
                   sources: Sequence[FieldSource], channel: ChannelDefinition,
                   context: CatalogContext, media: MediaFacts | None) -> None:
    images: list[str] = []
    details: list[dict[str, Any]] = []
    for source in sources:
        data = lookup.get(source.attribute, source.locale, source.scope)
        for asset in data if isinstance(data, list) else [data]:
            if not isinstance(asset, str) or not asset:
                continue
            shown = image_entry(asset, channel, media)
            if isinstance(shown, str):
                problems.append(ValueProblem(source.attribute, shown, source.locale,
                                             source.scope))
                continue
            url, renditions = shown
            if url not in images:
                images.append(url)
                details.append(renditions)
    if images:
        fields["images"] = images
        if any(details):
            fields["image_renditions"] = details


def image_entry(asset: str, channel: ChannelDefinition, media: MediaFacts | None
                ) -> tuple[str, dict[str, Any]] | str:
    """``(main URL, renditions)`` of one image value, or why it has none in this channel."""
    if asset.startswith(("http://", "https://")):
        return asset, {}  # not fetched into the store yet: used as it is
    stored = stored_asset(asset)
    if stored is None:  # a path the hub did not write: passed on as before
        return media_url(asset, channel.media_base_url, channel.primary_rendition), {}
    sha256, extension = stored
    facts = media.get(asset) if media is not None else None
    if media is not None and facts is None:
        return f"{asset} is not in the media store: upload the image again"
    if extension not in IMAGE_EXTENSIONS or (facts and not facts.media_type.startswith("image/")):
        kind = "a PDF document" if extension == "pdf" else f"a .{extension} file"
        return (f"{asset} is {kind}, not an image: channel {channel.code} needs a JPEG, PNG, "
                "WebP or GIF image to draw its renditions from")
    base = (channel.media_base_url or DEFAULT_MEDIA_BASE).rstrip("/")
    if not channel.renditions:
        return f"{base}/o/{sha256}.{extension}", {}
    renditions: dict[str, Any] = {}
    for name, spec in channel.renditions.items():
        reason = facts.failed.get(spec.spec_hash) if facts else None
        if reason is not None:
            return f"{asset} has no {name!r} rendition for channel {channel.code}: {reason}"
        renditions[name] = _rendition(base, spec, sha256, facts)
    main = channel.primary_rendition or next(iter(renditions))
    return renditions[main]["url"], renditions


def _rendition(base: str, spec: Rendition, sha256: str, facts: AssetFacts | None
               ) -> dict[str, Any]:
    shown: dict[str, Any] = {"url": rendition_url(base, spec, sha256), "type": spec.media_type}
    size = facts.drawn.get(spec.spec_hash) if facts else None
    if size is None and facts and facts.width and facts.height:
        size = spec.output_size(facts.width, facts.height)
    if size is not None:
        shown["width"], shown["height"] = size
    return shown


def media_display(data: str, channel_base: str, renditions: Mapping[str, Rendition]) -> Any:
    """A media attribute carried under ``attributes``: its rendition URLs by name (the
    original's URL when the channel declares none)."""
    if data.startswith(("http://", "https://")):
        return data
    stored = stored_asset(data)
    if stored is None:
        if not renditions:
            return media_url(data, channel_base, None)
        return {name: media_url(data, channel_base, name) for name in renditions}
    sha256, extension = stored
    base = (channel_base or DEFAULT_MEDIA_BASE).rstrip("/")
    if not renditions or extension not in IMAGE_EXTENSIONS:
        return f"{base}/o/{sha256}.{extension}"
    return {name: rendition_url(base, spec, sha256) for name, spec in renditions.items()}
