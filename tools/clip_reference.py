#!/usr/bin/env python3
"""Makes the CLIP parity fixture in src/clip/testdata/tiny/: a tiny random CLIP image tower saved
by Hugging Face transformers (the real tensor names and config layout), two preprocessed images,
and the reference embeddings transformers computes for them. The Rust test loads the same
checkpoint through ips_core::clip and must match within 1e-4.

Needs: pip install torch transformers safetensors numpy pillow  (from PyPI; not needed to run
the tests, only to regenerate the fixture).
"""

import json
import pathlib

import numpy as np
import torch
from PIL import Image
from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

OUT = pathlib.Path(__file__).resolve().parent.parent / "src" / "clip" / "testdata" / "tiny"


def main() -> None:
    torch.manual_seed(7)
    config = CLIPVisionConfig(
        hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        image_size=32, patch_size=8, projection_dim=16, hidden_act="quick_gelu",
    )
    model = CLIPVisionModelWithProjection(config).eval()
    OUT.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(OUT, safe_serialization=True)
    # IPS reads projection_dim at the top level, as in the full CLIP config.json.
    saved = json.loads((OUT / "config.json").read_text())
    (OUT / "config.json").write_text(json.dumps({"projection_dim": config.projection_dim, "vision_config": saved}, indent=1))

    rng = np.random.default_rng(3)
    images = [
        Image.fromarray(rng.integers(0, 256, size=(60, 40, 3), dtype=np.uint8)),
        Image.fromarray(np.tile(np.linspace(0, 255, 50, dtype=np.uint8), (30, 1))[..., None].repeat(3, axis=2)),
    ]
    for i, image in enumerate(images):
        image.save(OUT / f"image{i}.png")
    processor = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    pixels = processor(images=images, return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        embeds = model(pixel_values=pixels).image_embeds
    (OUT / "reference.json").write_text(json.dumps({
        "pixel_shape": list(pixels.shape),
        "pixel_values": [round(float(v), 7) for v in pixels.flatten()],
        "image_embeds": [[round(float(v), 7) for v in row] for row in embeds],
    }))
    print(f"wrote {OUT}: embeds {tuple(embeds.shape)}")


if __name__ == "__main__":
    main()
