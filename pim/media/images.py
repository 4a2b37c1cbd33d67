"""Recognising media by its content, never by its name, and decoding images within bounds.

The hub keeps JPEG, PNG, WebP and GIF images and PDF files. The type is sniffed from the
first bytes; the file name and any declared Content-Type are ignored for that decision.
SVG is refused rather than sanitized: it is a script-capable XML document, and serving a
sanitized copy would make the hub's safety depend on a sanitizer keeping up with browsers.

An image's declared dimensions are checked before its pixels are decoded, so a small file
declaring a huge canvas (a decompression bomb) costs nothing; then Pillow verifies the file
and decodes it completely, which refuses truncated or corrupt images.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from pim.media.errors import MediaTooLarge, UnsupportedMedia

SNIFF_BYTES = 16  # enough for every signature below

# media type -> (file extension, Pillow format name or None for non-images)
ALLOWED_TYPES: dict[str, tuple[str, str | None]] = {
    "image/jpeg": (".jpg", "JPEG"),
    "image/png": (".png", "PNG"),
    "image/webp": (".webp", "WEBP"),
    "image/gif": (".gif", "GIF"),
    "application/pdf": (".pdf", None),
}

# Pillow decodes only these formats here, whatever plug-ins it has.


@dataclass(frozen=True)
class MediaInfo:
    media_type: str
    width: int | None = None
    height: int | None = None

    @property
    def extension(self) -> str:
        return ALLOWED_TYPES[self.media_type][0]


def sniff(head: bytes) -> str | None:
    """The media type the first bytes announce, or None when it is not one the hub keeps."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def inspect(path: Path, *, max_pixels: int, name: str = "the file") -> MediaInfo:
    """Sniff and check a stored file; raise UnsupportedMedia or MediaTooLarge."""
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    media_type = sniff(head)
    if media_type is None:
        raise UnsupportedMedia(
            f"{name} is not a JPEG, PNG, WebP, GIF or PDF file (by its content"
            f"{', SVG is refused' if _looks_like_markup(head) else ''})")
    pillow_format = ALLOWED_TYPES[media_type][1]
    if pillow_format is None:
        return MediaInfo(media_type)
    width, height = check_image(path, pillow_format, max_pixels=max_pixels, name=name)
    return MediaInfo(media_type, width, height)


def check_image(path: Path, pillow_format: str, *, max_pixels: int,
                name: str = "the image") -> tuple[int, int]:
    """Open (header only), bound the canvas, verify, then decode fully; returns the size."""
    with warnings.catch_warnings():
        # Pillow's own bomb check is a warning below 2 x MAX_IMAGE_PIXELS: make it an error.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path, formats=[pillow_format]) as image:
                width, height = image.size
                _check_canvas(width, height, max_pixels, name)
                frames = getattr(image, "n_frames", 1)
                if frames * width * height > max_pixels * 4:
                    raise MediaTooLarge(f"{name} has {frames} frames of {width}×{height} "
                                        "pixels, too many to decode safely")
                image.verify()
            with Image.open(path, formats=[pillow_format]) as image:
                image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise MediaTooLarge(f"{name} is too large to decode: {error}") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
            raise UnsupportedMedia(f"{name} is not a readable {pillow_format} image: "
                                   f"{error}") from None
    return width, height


def _check_canvas(width: int, height: int, max_pixels: int, name: str) -> None:
    if width < 1 or height < 1:
        raise UnsupportedMedia(f"{name} declares an empty canvas ({width}×{height})")
    if width * height > max_pixels:
        raise MediaTooLarge(f"{name} declares {width}×{height} pixels, above the limit of "
                            f"{max_pixels} (PIM_MEDIA_MAX_PIXELS)")


def _looks_like_markup(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
