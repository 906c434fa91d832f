#!/usr/bin/env python3
"""Makes the fixture in src/clip/testdata/resize/ for ips_core::clip::resize, the Rust port of
Pillow's bicubic resampling (CLIP's preprocessing resizes with PIL bicubic, which OpenCV's
INTER_CUBIC does not reproduce).

It writes a few small deterministic 8-bit RGB inputs (seeded NumPy noise, a smooth gradient,
black/white noise that makes the filter overshoot and clip) as raw interleaved .rgb bytes, then
Pillow's `Image.resize((w, h), resample=Image.BICUBIC)` of each at several sizes: non-integer
downscales, upscales, width-only and height-only changes, and sizes that make Pillow run its
vertical pass first. index.json lists every case (input file and size, output file and size)
and the Pillow version that made the outputs. The Rust test must reproduce every output byte.

Rerun:  python3 tools/pil_resize_reference.py   (from anywhere; it overwrites the directory)
Needs:  pip install pillow numpy  (from PyPI; only to regenerate the fixture, not to run tests).
The committed outputs were made with Pillow 13.0.0. Pillow 12.3.0 gives the same bytes except for
the cases marked vertical_first that change both sides (it runs the horizontal pass first).
"""

import json
import pathlib

import numpy as np
import PIL
from PIL import Image

OUT = pathlib.Path(__file__).resolve().parent.parent / "src" / "clip" / "testdata" / "resize"


def inputs() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20240607)
    ys, xs = np.mgrid[0:48, 0:64]
    gradient = np.stack([xs * 255 // 63, ys * 255 // 47, (xs + ys) * 255 // 110], axis=2).astype(np.uint8)
    return {
        "noise": rng.integers(0, 256, size=(23, 37, 3), dtype=np.uint8),
        "gradient": gradient,
        "binary": (rng.integers(0, 2, size=(30, 40, 3)) * 255).astype(np.uint8),
        "tall": rng.integers(0, 256, size=(90, 20, 3), dtype=np.uint8),
        "big": rng.integers(0, 256, size=(200, 300, 3), dtype=np.uint8),
    }


# (input, output width, output height)
CASES = [
    ("noise", 16, 10),  # downscale by non-integer factors
    ("noise", 50, 31),  # upscale
    ("noise", 20, 23),  # width only
    ("noise", 37, 11),  # height only (Pillow skips the horizontal pass)
    ("noise", 30, 8),  # height shrinks by more than twice the width: vertical pass first
    ("noise", 50, 12),  # wider but shorter: vertical pass first
    ("noise", 20, 40),  # narrower but taller: horizontal pass first
    ("noise", 37, 23),  # same size: Pillow returns a copy
    ("gradient", 45, 34),
    ("gradient", 100, 75),
    ("binary", 23, 17),  # overshoot: clipping in both passes
    ("binary", 71, 53),
    ("tall", 9, 40),  # a tall frame, shortest side resized: vertical pass first
    ("big", 224, 149),  # CLIP's shortest side to 224
    ("big", 37, 25),  # a large factor: wide kernels
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.rgb"):
        old.unlink()
    images = inputs()
    input_files = {}
    for name, pixels in images.items():
        h, w, _ = pixels.shape
        input_files[name] = f"{name}_{w}x{h}.rgb"
        (OUT / input_files[name]).write_bytes(pixels.tobytes())
    cases = []
    for name, w, h in CASES:
        source = Image.fromarray(images[name], "RGB")
        resized = source.resize((w, h), resample=Image.BICUBIC)
        output = f"{name}_{source.width}x{source.height}_to_{w}x{h}.rgb"
        (OUT / output).write_bytes(np.asarray(resized, dtype=np.uint8).tobytes())
        dy, dx = source.height - h, source.width - w
        cases.append({
            "input": input_files[name],
            "input_size": [source.width, source.height],
            "output": output,
            "output_size": [w, h],
            "vertical_first": dy > 0 and dy > 2 * dx,
        })
    rows = ",\n  ".join(json.dumps(case) for case in cases)
    (OUT / "index.json").write_text(f'{{"pillow": "{PIL.__version__}", "cases": [\n  {rows}\n]}}\n')
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {len(cases)} cases to {OUT} ({total} bytes)")


if __name__ == "__main__":
    main()
