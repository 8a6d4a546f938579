"""The letterhead's logo on paper: decoded once, scaled to what the page needs, drawn beside the clinic's name.

The clinic's file may be a 4000-pixel photograph; a letterhead logo is at most :data:`LOGO_BOX_WIDTH` wide, so
it is scaled once to :data:`LOGO_PIXELS` a side (about 300 dpi at that size), laid on white (the paper's
colour: a transparent logo prints as it looks) and kept as a JPEG (:func:`page_logo`), which reportlab embeds
as it is: a thousand notes cost one decode, and no PDF compresses the pixels again (as a PNG's, a third more
time per note). A file that cannot be decoded is refused
when it is chosen (:func:`logo_unreadable`); one that went bad later (written past the program) prints no
logo rather than no note.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, UnidentifiedImageError
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader

LOGO_BOX_WIDTH = 42 * mm
LOGO_BOX_HEIGHT = 20 * mm
LOGO_GAP = 4 * mm
LOGO_PIXELS = 600


@dataclass(frozen=True, slots=True)
class PageLogo:
    """The logo as the page draws it: the image, and its size in points inside the logo's box."""

    image: ImageReader
    width: float
    height: float


def _decoded(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as opened:
        if opened.format not in ("PNG", "JPEG"):
            raise ValueError(opened.format)
        opened.load()  # every pixel: a truncated or corrupt file fails here
        image = opened.convert("RGBA" if "A" in opened.getbands() or "transparency" in opened.info else "RGB")
    image.thumbnail((LOGO_PIXELS, LOGO_PIXELS))
    return image


def logo_unreadable(data: bytes) -> str | None:
    """Why the logo cannot be printed, in one sentence; None when it decodes."""
    try:
        _decoded(data)
    except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError, SyntaxError):
        return "The logo file is damaged or not a PNG or JPEG image that can be read: choose another file."
    return None


@lru_cache(maxsize=4)
def page_logo(data: bytes) -> PageLogo | None:
    """The logo ready for the page (None when it cannot be decoded), fitted to the logo's box."""
    try:
        image = _decoded(data)
    except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError, SyntaxError):
        return None
    on_paper = Image.new("RGB", image.size, (255, 255, 255))
    on_paper.paste(image, mask=image.getchannel("A") if image.mode == "RGBA" else None)
    jpeg = io.BytesIO()
    on_paper.save(jpeg, "JPEG", quality=92, subsampling=0)
    pixels_wide, pixels_high = image.size
    scale = min(LOGO_BOX_WIDTH / pixels_wide, LOGO_BOX_HEIGHT / pixels_high)
    return PageLogo(ImageReader(io.BytesIO(jpeg.getvalue())), pixels_wide * scale, pixels_high * scale)
