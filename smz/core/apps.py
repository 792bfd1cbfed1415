import warnings

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "smz.core"
    label = "core"
    verbose_name = "基础"

    def ready(self) -> None:
        from PIL import Image

        from smz.core import uploads

        # Every Image.open in the process, ours or a library's, refuses a decompression bomb: Pillow
        # only warns between its limit and twice its limit, and a warning decodes the image anyway.
        Image.MAX_IMAGE_PIXELS = uploads.MAX_IMAGE_PIXELS
        warnings.simplefilter("error", Image.DecompressionBombWarning)
