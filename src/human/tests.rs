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
