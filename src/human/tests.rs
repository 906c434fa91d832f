//! Parity with Human's JavaScript graphs (`tools/human-reference/make-fixtures.mjs`, tfjs 4.22.0
//! cpu backend) on the committed crops in `testdata/`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::*;

/// What the README states: outputs agree with tfjs to this.
const TOLERANCE: f32 = 1e-5;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/human/testdata")
}

/// A fixture PNG as the nets' input: RGB, values / 255.
fn input(file: &str) -> Map {
    let path = testdata().join(file);
    let bgr = opencv::imgcodecs::imread(path.to_str().unwrap(), opencv::imgcodecs::IMREAD_COLOR).unwrap();
    crate::faceapi::rgb_map(&bgr).unwrap().map(|v| v / 255.0)
}

#[test]
fn both_nets_match_the_javascript_graphs() {
    let models = LivenessModels::load(&crate::testing::models_dir()).unwrap();
    let reference: Value = serde_json::from_slice(&std::fs::read(testdata().join("reference.json")).unwrap()).unwrap();
    let cases = reference["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 10);
    let mut worst = 0f32;
    for case in cases {
        let file = case["input"].as_str().unwrap();
        let want: Vec<f32> = case["output"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
        let got: Vec<f32> = match case["net"].as_str().unwrap() {
            "antispoof" => vec![models.antispoof.real(&input(file)).unwrap()],
            "liveness" => models.liveness.scores(&input(file)).unwrap().to_vec(),
            other => panic!("unknown net {other}"),
        };
        assert_eq!(got.len(), want.len(), "{file}");
        for (g, w) in got.iter().zip(&want) {
            worst = worst.max((g - w).abs());
            assert!((g - w).abs() <= TOLERANCE, "{file}: {got:?} vs tfjs {want:?}");
        }
    }
    eprintln!("human nets vs tfjs: max abs difference {worst:e}");
}

#[test]
fn face_input_is_a_scaled_square_with_zeros_outside() {
    // A 4 × 4 white image; a 2 × 2 box at its corner, scaled 2×: a 4 × 4 square, half outside.
    let rgb = Map::new(4, 4, 3, vec![255.0; 48]);
    let square = face_input(&rgb, (0.0, 0.0, 2.0, 2.0), 2.0, 4);
    assert_eq!((square.h, square.w, square.c), (4, 4, 3));
    assert_eq!(square.data[0], 0.0, "top-left is outside the image");
    assert_eq!(square.data[(3 * 4 + 3) * 3], 1.0, "bottom-right is inside, scaled to 0..1");
}

/// BlazeFace against Human's graph run by tfjs (`blazeface.json`, written by
/// `tools/human-reference/make-fixtures.mjs`): every anchor's logit and the eight best anchors'
/// regressors, on the three sample photos squared to 256 × 256 and a grey square.
#[test]
fn blazeface_matches_the_javascript_graph() {
    let net = BlazeFace::load(&crate::testing::models_dir()).unwrap();
    let reference: Value = serde_json::from_slice(&std::fs::read(testdata().join("blazeface.json")).unwrap()).unwrap();
    let cases = reference["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    let floats = |v: &Value| -> Vec<f32> { v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect() };
    let mut worst = 0f32;
    for case in cases {
        let file = case["input"].as_str().unwrap();
        let rows = net.raw(&input(file).map(|v| v * 255.0)).unwrap();
        let logits = floats(&case["logits"]);
        assert_eq!(rows.len(), logits.len(), "{file}: anchors");
        for (i, (row, want)) in rows.iter().zip(&logits).enumerate() {
            worst = worst.max(blazeface_difference(row[0], *want));
            assert!(
                blazeface_difference(row[0], *want) <= BLAZEFACE_TOLERANCE,
                "{file} anchor {i}: logit {} vs tfjs {want}",
                row[0]
            );
        }
        for best in case["best"].as_array().unwrap() {
            let anchor = best["anchor"].as_u64().unwrap() as usize;
            for (k, (got, want)) in rows[anchor].iter().zip(floats(&best["row"])).enumerate() {
                worst = worst.max(blazeface_difference(*got, want));
                assert!(
                    blazeface_difference(*got, want) <= BLAZEFACE_TOLERANCE,
                    "{file} anchor {anchor} value {k}: {got} vs tfjs {want}"
                );
            }
        }
    }
    eprintln!("BlazeFace vs tfjs: max difference {worst:e}");
}

/// What the README states for BlazeFace: its outputs agree with tfjs to this, absolute for values
/// up to 1 and relative above (logits reach −7,700 on anchors far from any face, box offsets
/// are in input pixels).
const BLAZEFACE_TOLERANCE: f32 = 1e-4;

fn blazeface_difference(got: f32, want: f32) -> f32 {
    (got - want).abs() / want.abs().max(1.0)
}

/// The anchors are Human's: 16 × 16 cells of 16 px with two anchors each, then 8 × 8 cells of
/// 32 px with six, centred in their cells.
#[test]
fn blazeface_anchors_follow_humans_grid() {
    let anchors = super::blazeface::anchors(BlazeFace::SIZE);
    assert_eq!(anchors.len(), 896);
    assert_eq!(anchors[0], [8.0, 8.0]);
    assert_eq!(anchors[1], [8.0, 8.0]);
    assert_eq!(anchors[2], [24.0, 8.0]);
    assert_eq!(anchors[511], [248.0, 248.0]);
    assert_eq!(anchors[512], [16.0, 16.0]);
    assert_eq!(anchors[512 + 6], [48.0, 16.0]);
    assert_eq!(anchors[895], [240.0, 240.0]);
}

/// On a face filling the frame (the case IPS asks BlazeFace about), the box it returns is on the
/// face: a square crop around sample 1's labelled right-hand face, 1.6 × its size.
#[test]
fn blazeface_finds_a_close_up_face_where_it_is() {
    let net = BlazeFace::load(&crate::testing::models_dir()).unwrap();
    let path = crate::testing::models_dir().join("face-api/demo/sample1.jpg");
    let bgr = opencv::imgcodecs::imread(path.to_str().unwrap(), opencv::imgcodecs::IMREAD_COLOR).unwrap();
    let rgb = crate::faceapi::rgb_map(&bgr).unwrap();
    // sample_faces.toml: { x = 1470, y = 210, w = 235, h = 255 }, the red-haired woman.
    let (x, y, w, h) = (1470.0f32, 210.0f32, 235.0f32, 255.0f32);
    let close_up = face_input(&rgb, (x, y, w, h), 1.6, 256).map(|v| v * 255.0);
    let found = net.detect(&close_up, 0.5).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    // The face in the crop's pixels: centred, 256 / (1.6 × 255) of its size.
    let scale = 256.0 / (1.6 * w.max(h));
    let (fw, fh) = (w * scale, h * scale);
    let (fx, fy) = ((256.0 - fw) / 2.0, (256.0 - fh) / 2.0);
    let b = found[0];
    let ix = ((b.x + b.w).min(fx + fw) - b.x.max(fx)).max(0.0);
    let iy = ((b.y + b.h).min(fy + fh) - b.y.max(fy)).max(0.0);
    let iou = ix * iy / (b.w * b.h + fw * fh - ix * iy);
    assert!(iou >= 0.4, "box {b:?} vs the labelled face ({fx}, {fy}, {fw}, {fh}): IoU {iou}");
    // And a plain grey frame has no face.
    assert!(net.detect(&Map::new(64, 64, 3, vec![128.0; 64 * 64 * 3]), 0.5).unwrap().is_empty());
}
