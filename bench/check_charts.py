"""Render a release's charts in a real headless browser and check that each one draws.

    python -m bench.check_charts dist/1.0.0 [--browser chromium]

The dataset card shows `charts/*.svg`; GitHub and the Hugging Face Hub display them with the
browser's own SVG renderer, not matplotlib's. This opens each file in headless Chromium (the
Debian package `chromium`, or any browser with the same flags), takes a screenshot, and
prints its size and the share of pixels that are not background. A chart the browser cannot
draw gives a blank screenshot (0.0%). Not a test: the test suite checks the SVG files
themselves; a browser is not something CI can install on every machine.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path


def drawn_share(png: Path) -> float:
    """The share of pixels that differ from the top-left (background) pixel."""
    from PIL import Image  # installed with matplotlib

    with Image.open(png) as image:
        pixels = image.convert("RGB")
        background = pixels.getpixel((0, 0))
        data = (
            list(pixels.get_flattened_data())
            if hasattr(pixels, "get_flattened_data")
            else list(pixels.getdata())
        )
    return sum(1 for p in data if p != background) / len(data)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("release", type=Path)
    parser.add_argument("--browser", default="chromium")
    args = parser.parse_args(argv)
    browser = shutil.which(args.browser)
    if browser is None:
        raise SystemExit(f"no {args.browser} on PATH (Debian: apt-get install chromium)")
    with tempfile.TemporaryDirectory() as work:
        for svg in sorted((args.release / "charts").glob("*.svg")):
            png = Path(work) / f"{svg.stem}.png"
            subprocess.run(
                [
                    browser,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--hide-scrollbars",
                    "--window-size=800,380",
                    f"--screenshot={png}",
                    svg.resolve().as_uri(),
                ],
                check=True,
                capture_output=True,
                timeout=60,
            )
            print(f"{svg.name}: {png.stat().st_size:,} bytes of PNG, {drawn_share(png):.1%} drawn")


if __name__ == "__main__":
    main()
