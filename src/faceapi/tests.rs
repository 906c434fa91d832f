use std::path::{Path, PathBuf};

use super::*;

pub(crate) fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

#[test]
fn weights_load_dequantised_with_manifest_shapes() {
    let w = WeightMap::load(&models_dir().join(MODEL_DIR), ssd::MODEL).unwrap();
    assert_eq!(w.shape("MobilenetV1/Conv2d_0_pointwise/weights").unwrap(), &[3, 3, 3, 32]);
    let anchors = w.values("Output/extra_dim", &[1, 5118, 4]).unwrap();
    // Anchors are boxes in the unit square: ymin < ymax, xmin < xmax.
    assert!(anchors.chunks_exact(4).all(|a| a[0] < a[2] && a[1] < a[3]));
    // A uint8-quantised tensor stays within [min, min + 255·scale] of its manifest entry.
    let gamma = w.values("MobilenetV1/Conv2d_1_depthwise/BatchNorm/gamma", &[32]).unwrap();
    assert!(gamma.iter().all(|&g| (-0.0122..=3.1).contains(&g)), "{gamma:?}");
    assert!(w.values("MobilenetV1/Conv2d_0_pointwise/weights", &[3, 3, 3, 31]).is_err());
}

#[test]
fn a_tampered_model_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path();
    std::fs::copy(models_dir().join("manifest.toml"), models.join("manifest.toml")).unwrap();
    std::fs::create_dir_all(models.join(MODEL_DIR)).unwrap();
    for entry in std::fs::read_dir(models_dir().join(MODEL_DIR)).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), models.join(MODEL_DIR).join(entry.file_name())).unwrap();
    }
    let bin = models.join(MODEL_DIR).join("face_landmark_68_model.bin");
    let mut bytes = std::fs::read(&bin).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&bin, bytes).unwrap();
    let err = FaceModels::load(models).err().expect("a flipped bit must be caught");
    assert!(matches!(err, ModelError::Checksum { .. }), "{err}");
    assert!(err.to_string().contains("face_landmark_68_model.bin"), "{err}");
}

/// The JavaScript reference's outputs (`tools/faceapi-reference/make-fixtures.mjs`).
mod parity {
    use std::sync::OnceLock;

    use serde_json::Value;

    use super::*;
    use crate::faceapi::align::Landmarks;
    use crate::faceapi::nn::Map;

    /// face-api's outputs and ours may differ by float rounding only.
    const TOLERANCE: f32 = 1e-3;

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src/faces/testdata/faceapi")
    }

    fn reference() -> &'static Value {
        static REFERENCE: OnceLock<Value> = OnceLock::new();
        REFERENCE.get_or_init(|| serde_json::from_slice(&std::fs::read(fixtures().join("reference.json")).unwrap()).unwrap())
    }

    fn models() -> &'static FaceModels {
        static MODELS: OnceLock<FaceModels> = OnceLock::new();
        MODELS.get_or_init(|| FaceModels::load(&models_dir()).unwrap())
    }

    fn image(file: &str) -> Map {
        let path = fixtures().join(file);
        let bgr = opencv::imgcodecs::imread(path.to_str().unwrap(), opencv::imgcodecs::IMREAD_COLOR).unwrap();
        assert!(!bgr.empty(), "{file} unreadable");
        rgb_map(&bgr).unwrap()
    }

    fn floats(v: &Value) -> Vec<f32> {
        v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect()
    }

    fn f32_file(file: &str) -> Vec<f32> {
        let bytes = std::fs::read(fixtures().join(file)).unwrap();
        bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
    }

    fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len(), "lengths differ");
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
    }

    #[test]
    fn detector_matches_face_api_on_every_anchor_and_after_suppression() {
        for case in reference()["ssd"].as_array().unwrap() {
            let name = case["image"].as_str().unwrap();
            let rgb = image(name);
            let raw = models().detector.forward(&rgb).unwrap();
            let boxes: Vec<f32> = raw.boxes.iter().flatten().copied().collect();
            let box_diff = max_abs_diff(&boxes, &f32_file(case["boxes_file"].as_str().unwrap()));
            let score_diff = max_abs_diff(&raw.scores, &f32_file(case["scores_file"].as_str().unwrap()));
            eprintln!("{name}: max abs diff boxes {box_diff:e}, scores {score_diff:e}");
            assert!(box_diff <= TOLERANCE && score_diff <= TOLERANCE, "{name}: boxes {box_diff}, scores {score_diff}");

            let min = case["min_confidence"].as_f64().unwrap() as f32;
            let ours = models().detector.detect(&rgb, min, 100).unwrap();
            let theirs = case["detections"].as_array().unwrap();
            assert_eq!(ours.len(), theirs.len(), "{name}: detections");
            for (o, t) in ours.iter().zip(theirs) {
                let t = ["x", "y", "width", "height", "score"].map(|k| t[k].as_f64().unwrap() as f32);
                let o = [o.x, o.y, o.width, o.height, o.score];
                // Pixel boxes are unit boxes × ~384 px: 1e-3 there is 0.4 px here.
                assert!(max_abs_diff(&o[..4], &t[..4]) < 0.5 && (o[4] - t[4]).abs() <= TOLERANCE, "{name}: {o:?} vs {t:?}");
            }
        }
    }

    #[test]
    fn landmarks_match_face_api_on_its_face_crops() {
        for face in reference()["faces"].as_array().unwrap() {
            let crop = image(face["landmark_crop"]["file"].as_str().unwrap());
            let raw = models().landmarks.raw(&crop).unwrap();
            let diff = max_abs_diff(&raw, &floats(&face["landmarks_raw"]));
            eprintln!("face {}: max abs diff landmarks {diff:e}", face["k"]);
            assert!(diff <= TOLERANCE, "face {}: raw landmarks differ by {diff}", face["k"]);
            let ours: Vec<f32> = models().landmarks.landmarks(&crop).unwrap().into_iter().flatten().collect();
            let theirs: Vec<f32> = face["landmarks_crop"].as_array().unwrap().iter().flat_map(floats).collect();
            assert!(max_abs_diff(&ours, &theirs) < 0.1, "face {}: landmark pixels", face["k"]);
        }
    }

    #[test]
    fn aligned_box_matches_face_api_dlib_alignment() {
        for face in reference()["faces"].as_array().unwrap() {
            let points = face["landmarks_image"].as_array().unwrap().iter().map(|p| {
                let p = floats(p);
                [p[0], p[1]]
            });
            let ours = Landmarks(points.collect()).dlib_box();
            let b = &face["aligned_box_dlib"];
            let theirs = ["x", "y", "width", "height"].map(|k| b[k].as_f64().unwrap() as f32);
            assert_eq!(ours, theirs, "face {}", face["k"]);
        }
    }

    #[test]
    fn descriptors_match_face_api_on_square_and_oblong_crops() {
        let faces = reference()["faces"].as_array().unwrap().iter().map(|f| (&f["descriptor_crop"]["file"], &f["descriptor"]));
        let extra = reference()["descriptor_extra"].as_array().unwrap().iter().map(|f| (&f["file"], &f["descriptor"]));
        let mut checked = 0;
        for (file, expected) in faces.chain(extra) {
            let ours = models().recognition.descriptor(&image(file.as_str().unwrap())).unwrap();
            let diff = max_abs_diff(&ours, &floats(expected));
            eprintln!("{file}: max abs diff descriptor {diff:e}");
            assert!(diff <= TOLERANCE, "{file}: descriptor differs by {diff}");
            checked += 1;
        }
        assert_eq!(checked, 6);
    }
}
