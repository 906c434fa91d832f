//! face-api's face models in candle: the SSD-MobileNetV1 detector, the 68-point landmark net and
//! dlib's face recognition ResNet, loaded from the TF.js weights of the npm package
//! `@vladmandic/face-api` that `make models` fetches into `models/face-api/model/`.
//!
//! Every network mirrors the package's TypeScript (`src/ssdMobilenetv1`, `src/faceLandmarkNet`,
//! `src/faceRecognitionNet`) including its input handling, so outputs match the JavaScript
//! reference to float rounding (see `tests.rs` and `tools/faceapi-reference/`).

pub mod align;
pub mod landmarks;
pub mod nn;
pub mod recognition;
pub mod ssd;
pub mod weights;

use std::path::{Path, PathBuf};

use opencv::core::Mat;
use opencv::prelude::*;

pub use landmarks::FaceLandmark68Net;
pub use recognition::FaceRecognitionNet;
pub use ssd::{FaceBox, Framing, SsdMobilenetV1};
pub use weights::WeightMap;

/// Where the package's files go, relative to the models directory.
pub const MODEL_DIR: &str = "face-api/model";

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("face model file {0} is unreadable: {1} (run `make models`)")]
    Missing(PathBuf, String),
    #[error("face model file {0}: {1}")]
    Format(PathBuf, String),
    #[error("face model file {path} has sha256 {actual}, models/manifest.toml expects {expected} (run `make models`)")]
    Checksum { path: PathBuf, expected: String, actual: String },
    #[error("face model {model}: tensor {tensor} has shape {actual:?}, expected {expected:?}")]
    Shape { model: String, tensor: String, expected: Vec<usize>, actual: Vec<usize> },
    #[error("face model: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("face image: {0}")]
    Image(#[from] opencv::Error),
}

/// The three networks a run needs.
pub struct FaceModels {
    pub detector: SsdMobilenetV1,
    pub landmarks: FaceLandmark68Net,
    pub recognition: FaceRecognitionNet,
}

impl FaceModels {
    /// Loads the networks from `<models_dir>/face-api/model/`, after checking every file against
    /// the sha256 in `<models_dir>/manifest.toml`.
    pub fn load(models_dir: &Path) -> Result<Self, ModelError> {
        let dir = models_dir.join(MODEL_DIR);
        let expected = manifest_checksums(models_dir, "face-api")?;
        for model in [ssd::MODEL, landmarks::MODEL, recognition::MODEL] {
            for file in [format!("{model}-weights_manifest.json"), format!("{model}.bin")] {
                verify(&dir.join(&file), &expected, &format!("model/{file}"))?;
            }
        }
        Ok(Self {
            detector: SsdMobilenetV1::from_weights(&WeightMap::load(&dir, ssd::MODEL)?)?,
            landmarks: FaceLandmark68Net::from_weights(&WeightMap::load(&dir, landmarks::MODEL)?)?,
            recognition: FaceRecognitionNet::from_weights(&WeightMap::load(&dir, recognition::MODEL)?)?,
        })
    }
}

/// `path → sha256` of the source whose files go to `<models_dir>/<dir>` in `models/manifest.toml`.
pub(crate) fn manifest_checksums(models_dir: &Path, dir: &str) -> Result<Vec<(String, String)>, ModelError> {
    #[derive(serde::Deserialize)]
    struct Manifest {
        source: Vec<Source>,
    }
    #[derive(serde::Deserialize)]
    struct Source {
        dir: String,
        files: Vec<File>,
    }
    #[derive(serde::Deserialize)]
    struct File {
        path: String,
        sha256: String,
    }
    let path = models_dir.join("manifest.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| ModelError::Missing(path.clone(), e.to_string()))?;
    let manifest: Manifest = toml::from_str(&text).map_err(|e| ModelError::Format(path.clone(), e.to_string()))?;
    let source = manifest
        .source
        .into_iter()
        .find(|s| s.dir == dir)
        .ok_or_else(|| ModelError::Format(path, format!("no source for models/{dir}")))?;
    Ok(source.files.into_iter().map(|f| (f.path, f.sha256)).collect())
}

pub(crate) fn verify(path: &Path, expected: &[(String, String)], key: &str) -> Result<(), ModelError> {
    let Some((_, want)) = expected.iter().find(|(p, _)| p == key) else {
        return Err(ModelError::Format(path.to_path_buf(), "not listed in models/manifest.toml".into()));
    };
    let bytes = std::fs::read(path).map_err(|e| ModelError::Missing(path.to_path_buf(), e.to_string()))?;
    let actual = crate::hash::sha256_hex(&bytes);
    if &actual != want {
        return Err(ModelError::Checksum { path: path.to_path_buf(), expected: want.clone(), actual });
    }
    Ok(())
}

/// An OpenCV BGR 8-bit image as an RGB map with values 0..255 (what face-api's nets take).
pub fn rgb_map(bgr: &Mat) -> Result<nn::Map, ModelError> {
    let (h, w) = (bgr.rows() as usize, bgr.cols() as usize);
    let continuous = if bgr.is_continuous() { bgr.clone() } else { bgr.try_clone()? };
    let bytes = continuous.data_bytes()?;
    if bgr.channels() != 3 || bytes.len() != h * w * 3 {
        return Err(ModelError::Format(PathBuf::from("image"), "expected an 8-bit BGR image".into()));
    }
    let data = bytes.chunks_exact(3).flat_map(|p| [p[2] as f32, p[1] as f32, p[0] as f32]).collect();
    Ok(nn::Map::new(h, w, 3, data))
}

#[cfg(test)]
mod tests;
