#!/usr/bin/env python3
"""PyTorch references for benches/clip_speed.rs: the same ViT-B/32 image tower (random weights),
batch 32, images per second, eager f32 and under bf16 autocast (what PyTorch offers for bf16 on
the CPU). Needs torch and transformers from PyPI."""

import os
import time

import torch
from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

batch = int(os.environ.get("CLIP_BATCH", 32))
rounds = int(os.environ.get("CLIP_ROUNDS", 3))
torch.set_num_threads(os.cpu_count())
model = CLIPVisionModelWithProjection(CLIPVisionConfig(projection_dim=512, hidden_act="quick_gelu")).eval()
pixels = torch.randn(batch, 3, 224, 224)


def rate(autocast):
    rates = []
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        model(pixel_values=pixels)
        for _ in range(rounds):
            start = time.perf_counter()
            model(pixel_values=pixels)
            rates.append(batch / (time.perf_counter() - start))
    rates.sort()
    return rates[len(rates) // 2]


print(f"pytorch {torch.__version__} eager f32 batch {batch}: {rate(False):.1f} images/s (median of {rounds})")
print(f"pytorch {torch.__version__} bf16 autocast batch {batch}: {rate(True):.1f} images/s (median of {rounds})")
