"""Drawing renditions with Pillow: one decode of a source image, any number of specs.

What every rendition gets, whatever the source:

- decoding within bounds: the canvas a file declares is checked against
  ``PIM_MEDIA_MAX_PIXELS`` before a pixel is decoded (a decompression bomb costs nothing),
  and a truncated or corrupt file is refused, never drawn half grey;
- a JPEG is decoded at the smallest DCT scale still at least as large as the biggest
  rendition asked of it (``Image.draft``), which is most of the speed on big photos;
- the EXIF orientation applied, then the metadata dropped: no EXIF (camera, GPS), no XMP,
  no comments leave the hub; an embedded ICC profile is applied (the pixels converted to
  sRGB) rather than dropped, so a CMYK or Adobe RGB photo keeps its colours untagged;
- colour modes converted: CMYK, palette (with or without transparency), 16-bit and 32-bit
  greyscale, LA and bilevel become RGB, RGBA or L;
- transparency flattened onto the spec's background for JPEG; kept for PNG and WebP;
- progressive JPEG; Lanczos resampling.

Refusals (:class:`RenderRefused`) carry a sentence a person can act on; they are recorded on
the rendition and become a completeness error on the image field of the channel.
"""

from __future__ import annotations

import io
import os
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from channels.renditions import Rendition, output_geometry

FORMATS = ["JPEG", "PNG", "WEBP", "GIF"]
RESAMPLE = Image.Resampling.LANCZOS
REDUCING_GAP = 3.0  # a cheap box reduction first, Lanczos for the last factor of 3
_SRGB = ImageCms.createProfile("sRGB")


class RenderRefused(Exception):
    """The source cannot be rendered; ``str(error)`` says why."""


@dataclass(frozen=True)
class Rendered:
    spec_hash: str
    width: int
    height: int
    data: bytes


def render_file(source: Path, specs: Sequence[Rendition], *, max_pixels: int,
                name: str = "the image") -> list[Rendered]:
    """Every spec of ``specs`` drawn from ``source``, decoded once."""
    image = open_upright(source, specs, max_pixels=max_pixels, name=name)
    try:
        return [draw(image, spec) for spec in specs]
    finally:
        image.close()


def open_upright(source: Path, specs: Sequence[Rendition], *, max_pixels: int,
                 name: str = "the image") -> Image.Image:
    """The decoded source, upright, in RGB, RGBA or L."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(source, formats=FORMATS)
        except UnidentifiedImageError:
            raise RenderRefused(f"{name} is not an image the hub can render (JPEG, PNG, WebP "
                                "or GIF)") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise RenderRefused(f"{name} declares too many pixels to decode safely") from None
        except OSError as error:
            raise RenderRefused(f"{name} is truncated or corrupt: {error}") from None
        try:
            return _decode(image, specs, max_pixels, name)
        except RenderRefused:
            image.close()
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            image.close()
            raise RenderRefused(f"{name} declares too many pixels to decode safely") from None
        except (OSError, SyntaxError, ValueError) as error:
            image.close()
            raise RenderRefused(f"{name} is truncated or corrupt: {error}") from None


def _decode(image: Image.Image, specs: Sequence[Rendition], max_pixels: int,
            name: str) -> Image.Image:
    width, height = image.size
    if width < 1 or height < 1:
        raise RenderRefused(f"{name} declares an empty canvas ({width}×{height})")
    if width * height > max_pixels:
        raise RenderRefused(f"{name} declares {width}×{height} pixels, above the limit of "
                            f"{max_pixels} (PIM_MEDIA_MAX_PIXELS)")
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)  # an animation renders as its first frame
    if image.format == "JPEG" and specs:
        _draft(image, specs)
    icc = image.info.get("icc_profile")
    image.load()
    upright = ImageOps.exif_transpose(image)
    if upright is not image:
        image.close()
        image = upright
    return _to_working_mode(image, icc, name)


def _draft(image: Image.Image, specs: Sequence[Rendition]) -> None:
    """Let libjpeg scale down while decoding, never below what the largest spec needs
    (EXIF rotation may swap the sides, so both orders are asked for)."""
    width, height = image.size
    need = 1
    for spec in specs:
        scaled, _ = output_geometry(spec, width, height)
        swapped, _ = output_geometry(spec, height, width)
        need = max(need, *scaled, *swapped)
    if need < max(width, height):
        image.draft(image.mode if image.mode in ("RGB", "L", "CMYK") else None, (need, need))


def _to_working_mode(image: Image.Image, icc: bytes | None, name: str) -> Image.Image:
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        image = _to_8_bit(image)
    elif mode == "1":
        image = image.convert("L")
    elif mode in ("P", "PA"):
        transparent = "transparency" in image.info or mode == "PA"
        image = image.convert("RGBA" if transparent else "RGB")
    elif mode in ("LA", "La", "RGBa"):
        image = image.convert("RGBA")
    if icc and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        image = _to_srgb(image, icc)
    if image.mode == "CMYK":
        image = image.convert("RGB")
    if image.mode not in ("RGB", "RGBA", "L"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    image.info = {}
    return image


def _to_8_bit(image: Image.Image) -> Image.Image:
    """16-bit (or 32-bit) greyscale to 8 bits: the top byte of the full range, not a clip
    at 255 (which would turn a 16-bit photo white)."""
    if image.mode == "F":
        return image.convert("L")
    wide = image.convert("I")
    high = wide.getextrema()[1]
    top = 65535 if isinstance(high, int | float) and high > 255 else 255
    return wide.point(lambda value: value * 255 / top).convert("L")


def _to_srgb(image: Image.Image, icc: bytes) -> Image.Image:
    """Apply the embedded profile; a broken profile is ignored, as browsers do."""
    alpha = image.getchannel("A") if image.mode == "RGBA" else None
    base = image.convert("RGB") if alpha is not None else image
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        output = "L" if base.mode == "L" else "RGB"
        converted = ImageCms.profileToProfile(base, profile, _SRGB, outputMode=output)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image
    if converted is None:
        return image
    if alpha is not None:
        converted.putalpha(alpha)
    return converted


def draw(image: Image.Image, spec: Rendition) -> Rendered:
    """One rendition of an upright, converted image."""
    width, height = image.size
    scaled, output = output_geometry(spec, width, height)
    if spec.fit == "cover":
        box = _centred_crop(width, height, scaled, output)
        drawn = image.resize(output, RESAMPLE, box=box, reducing_gap=REDUCING_GAP) \
            if (output, box) != ((width, height), (0, 0, width, height)) else image.copy()
    elif scaled != (width, height):
        drawn = image.resize(scaled, RESAMPLE, reducing_gap=REDUCING_GAP)
    else:
        drawn = image.copy()
    if spec.fit == "pad" and drawn.size != output:
        drawn = _padded(drawn, output, spec)
    if spec.format == "jpeg" and drawn.mode == "RGBA":
        drawn = _flattened(drawn, spec.background)
    return Rendered(spec.spec_hash, drawn.width, drawn.height, encode(drawn, spec))


def _centred_crop(width: int, height: int, scaled: tuple[int, int],
                  output: tuple[int, int]) -> tuple[float, float, float, float]:
    """The source rectangle that, scaled, is the centre ``output`` of the scaled image."""
    factor_w, factor_h = width / scaled[0], height / scaled[1]
    crop_w, crop_h = output[0] * factor_w, output[1] * factor_h
    left, top = (width - crop_w) / 2, (height - crop_h) / 2
    return (left, top, left + crop_w, top + crop_h)


def _rgba(colour: str) -> tuple[int, int, int, int]:
    digits = colour.lstrip("#")
    alpha = int(digits[6:8], 16) if len(digits) == 8 else 255
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16), alpha


def _padded(image: Image.Image, size: tuple[int, int], spec: Rendition) -> Image.Image:
    colour = _rgba(spec.background)
    keeps_alpha = spec.format != "jpeg" and (image.mode == "RGBA" or colour[3] < 255)
    mode = "RGBA" if keeps_alpha else ("L" if image.mode == "L" and _grey(colour) else "RGB")
    fill = colour if mode == "RGBA" else (colour[0] if mode == "L" else colour[:3])
    canvas = Image.new(mode, size, fill)
    offset = ((size[0] - image.width) // 2, (size[1] - image.height) // 2)
    if image.mode == "RGBA" and mode != "RGBA":
        canvas.paste(image.convert("RGB"), offset, image.getchannel("A"))
    elif image.mode == "RGBA":
        canvas.alpha_composite(image, offset)
    else:
        canvas.paste(image.convert(mode) if image.mode != mode else image, offset)
    return canvas


def _grey(colour: tuple[int, int, int, int]) -> bool:
    return colour[0] == colour[1] == colour[2]


def _flattened(image: Image.Image, background: str) -> Image.Image:
    canvas = Image.new("RGB", image.size, _rgba(background)[:3])
    canvas.paste(image.convert("RGB"), (0, 0), image.getchannel("A"))
    return canvas


def encode(image: Image.Image, spec: Rendition) -> bytes:
    """The rendition's bytes, with no metadata at all (``info`` is never passed on)."""
    out = io.BytesIO()
    image.info = {}
    if spec.format == "jpeg":
        rgb = image if image.mode in ("RGB", "L") else image.convert("RGB")
        rgb.save(out, "JPEG", quality=spec.quality, progressive=True, optimize=False)
    elif spec.format == "webp":
        image.save(out, "WEBP", quality=spec.quality, method=4)
    else:
        image.save(out, "PNG", compress_level=6)
    return out.getvalue()


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a temporary file and one rename: a reader sees
    the whole rendition or none."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".r-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
