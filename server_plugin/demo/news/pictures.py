"""Photos for the demo newsroom: real JPEG images made with Pillow, the caption
drawn on each, so a photo record shows what syncing files looks like.

At the default size each is a few hundred KB (the grain is noise a JPEG cannot
squeeze much), like a phone's picture sent at reduced size. The grain is made
once per run; each photo shifts it and tints it, so every image is its own
content and making one costs a few milliseconds.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageChops, ImageDraw, ImageFont

DEFAULT_SIZE = (1280, 853)


class PhotoMaker:
    def __init__(self, size: tuple[int, int] = DEFAULT_SIZE):
        self.size = size
        width, height = size
        self.grain = Image.effect_noise(size, 48)
        self.sky = Image.linear_gradient("L").rotate(90).resize(size)
        self.font = ImageFont.load_default(size=max(8, height // 18))
        self.band = max(12, height // 8)

    def jpeg(self, caption: str, rng: random.Random) -> bytes:
        width, height = self.size
        grain = ImageChops.offset(self.grain, rng.randrange(width), rng.randrange(height))
        tint = rng.randrange(60, 200)
        picture = Image.merge(
            "RGB",
            (
                Image.blend(self.sky, grain, 0.45),
                grain.point(lambda v, t=tint: (v + t) // 2),
                self.sky.point(lambda v, t=tint: 255 - (v * t) // 255),
            ),
        )
        draw = ImageDraw.Draw(picture)
        sun_x, radius = rng.randrange(width), height // rng.randint(7, 12)
        draw.ellipse((sun_x - radius, height // 5 - radius, sun_x + radius, height // 5 + radius),
                     fill=(250, 214, 120))  # fmt: skip
        ridge = (
            [(0, height)]
            + [(x * width // 8, height // 2 + rng.randrange(height // 4)) for x in range(9)]
            + [(width, height)]
        )
        draw.polygon(ridge, fill=(40 + tint // 4, 90, 60))
        draw.rectangle((0, height - self.band, width, height), fill=(12, 12, 12))
        margin = max(4, width // 40)
        text = caption
        while text and draw.textlength(text, font=self.font) > width - 2 * margin:
            text = text[:-2] + "…"
        draw.text((margin, height - self.band * 0.8), text, font=self.font, fill=(250, 250, 250))
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=82)
        return out.getvalue()


def parse_size(text: str) -> tuple[int, int]:
    """ "1280x853" -> (1280, 853)."""
    width, _, height = text.lower().partition("x")
    try:
        size = (int(width), int(height))
    except ValueError:
        raise ValueError(f"{text!r} is not a size like 1280x853") from None
    if not (16 <= size[0] <= 8000 and 16 <= size[1] <= 8000):
        raise ValueError(f"{text!r}: each side must be from 16 to 8000 pixels")
    return size
