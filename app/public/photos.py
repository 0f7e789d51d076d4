"""Photos citizens attach: re-encoded from their pixels, so no EXIF (GPS included) survives."""

import io
import uuid
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 8 * 1024 * 1024
MAX_SIDE = 2000
MAX_PIXELS = 40_000_000


class PhotoError(ValueError):
    """The upload is not a usable image."""


def clean_photo(data: bytes) -> bytes:
    """JPEG bytes holding only the pixels of `data`: no EXIF, GPS, XMP or comments."""
    if len(data) > MAX_BYTES:
        raise PhotoError("the photo is larger than 8 MB")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise PhotoError("the photo has too many pixels")
            # Keep what the camera meant by its orientation tag before the tags are dropped.
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise PhotoError("the file is not a photo we can read") from error
    upright.thumbnail((MAX_SIDE, MAX_SIDE))
    # A new image from the raw pixels carries no metadata of the original.
    clean = Image.frombytes("RGB", upright.size, upright.tobytes())
    output = io.BytesIO()
    clean.save(output, format="JPEG", quality=85, optimize=True)
    return output.getvalue()


def store_photo(data: bytes, upload_dir: str | Path) -> str:
    """Clean the photo, write it under `upload_dir` with a random name, return that name."""
    cleaned = clean_photo(data)
    folder = Path(upload_dir)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{uuid.uuid4().hex}.jpg"
    (folder / name).write_bytes(cleaned)
    return name
