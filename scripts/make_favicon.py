"""Draw assets/favicon.png (a tiny recurrent loop), so the app needs no icon from the network."""
from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 64
path = Path(__file__).resolve().parents[1] / "assets" / "favicon.png"
image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
draw = ImageDraw.Draw(image)
draw.rounded_rectangle((2, 2, SIZE - 3, SIZE - 3), radius=14, fill=(31, 119, 180, 255))
draw.arc((14, 14, SIZE - 15, SIZE - 15), start=40, end=320, fill=(255, 255, 255, 255), width=7)
draw.polygon([(44, 12), (56, 24), (40, 28)], fill=(255, 255, 255, 255))
image.save(path)
print(f"wrote {path}")
