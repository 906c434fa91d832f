#!/usr/bin/env python3
"""Draws every face track of a corpus run as a sheet of crops, for labelling faces by eye.

    IPS_KEEP_FACES=/tmp/run cargo test --features test-support --test corpus   # snapshot a run
    python3 tools/label_sheets.py /tmp/run ../shared/corpus /tmp/sheets         # draw the sheets
    python3 tools/label_sheets.py /tmp/run ../shared/corpus /tmp/sheets --toml  # + a label draft

One PNG per video (`c07.png`): a row per track (`T0`, `T1`, ... as the analysis numbered them),
each detection's face cut from the corpus frame (1.3 times its box) with its second under it,
and the track's creator in the run on the left. With `--toml`, also writes `draft.toml`: a
`[[track]]` entry per track with its boxes and `label = "?"`, to fill in by eye and commit as
tests/labels/corpus_faces.toml.

Needs Pillow and ffmpeg. Reads the snapshot's SQLite with the standard library.
"""

import json
import pathlib
import sqlite3
import subprocess
import sys
import tempfile

from PIL import Image, ImageDraw

CROP = 96


def frames_of(video: pathlib.Path, tmp: pathlib.Path) -> list[Image.Image]:
    """Every second of a corpus video (each still is held one second)."""
    out = tmp / video.stem
    out.mkdir(exist_ok=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(video), "-vf", "fps=1", str(out / "%03d.png")], check=True)
    return [Image.open(p).convert("RGB") for p in sorted(out.glob("*.png"))]


def crop(frame: Image.Image, box: dict) -> Image.Image:
    w, h = frame.size
    cx, cy = (box["x"] + box["w"] / 2) * w, (box["y"] + box["h"] / 2) * h
    side = max(box["w"] * w, box["h"] * h) * 1.3
    return frame.crop((int(cx - side / 2), int(cy - side / 2), int(cx + side / 2), int(cy + side / 2))).resize((CROP, CROP))


def main() -> None:
    run, corpus, out = (pathlib.Path(a) for a in sys.argv[1:4])
    draft = "--toml" in sys.argv
    out.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(run / "ips.sqlite3")
    names = dict(line.split(",") for line in (run / "files.csv").read_text().split())
    (run_id, settings_key) = db.execute("SELECT MAX(id), NULL FROM runs").fetchone()
    creators = {}
    for cid, label, members in db.execute("SELECT creator_id, label, members FROM run_creators WHERE run_id = ?", (run_id,)):
        for m in json.loads(members):
            creators[(m["sha256"], m["track"])] = f"{label}"
    toml = []
    with tempfile.TemporaryDirectory() as tmp:
        for sha, tracks_json in db.execute("SELECT sha256, face_tracks FROM video_analyses ORDER BY analysed_at_ms DESC"):
            name = names.get(sha, "").replace(".mp4", "")
            if not name or (out / f"{name}.png").exists():
                continue
            tracks = json.loads(tracks_json)
            frames = frames_of(corpus / "videos" / f"{name}.mp4", pathlib.Path(tmp))
            width = 180 + CROP * max([len(t["boxes"]) for t in tracks] + [1])
            sheet = Image.new("RGB", (width, max(1, len(tracks)) * (CROP + 16)), "black")
            draw = ImageDraw.Draw(sheet)
            for row, t in enumerate(tracks):
                y = row * (CROP + 16)
                who = creators.get((sha, t["index"]), "not clustered" if t.get("incidental") is None else "incidental")
                draw.text((2, y + 4), f"{name} T{t['index']}", fill="yellow")
                draw.text((2, y + 20), who[:28], fill="white")
                draw.text((2, y + 36), (t.get("incidental") or "")[:28], fill="grey")
                for k, b in enumerate(t["boxes"]):
                    second = int(b["time_s"])
                    if second < len(frames):
                        sheet.paste(crop(frames[second], b), (180 + k * CROP, y))
                    draw.text((180 + k * CROP + 2, y + CROP + 2), f"s{b['time_s']:.0f}", fill="white")
                boxes = ", ".join(
                    f"[{b['time_s']:.1f}, {b['x']:.3f}, {b['y']:.3f}, {b['w']:.3f}, {b['h']:.3f}]" for b in t["boxes"]
                )
                toml.append(f'[[track]]\nfile = "{name}"\n# T{t["index"]}\nlabel = "?"\nboxes = [{boxes}]\n')
            sheet.save(out / f"{name}.png")
    if draft:
        (out / "draft.toml").write_text("\n".join(toml))


if __name__ == "__main__":
    main()
