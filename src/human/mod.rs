//! Two small face networks of the Human library (`@vladmandic/human`, MIT), in candle from their
//! TF.js graph models, which `make models` fetches into `models/human/models/`:
//!
//! - [`Antispoof`] — a 128 × 128 face crop → how likely it is a real face rather than a
//!   reproduction (sigmoid, 1 = real). Trained on Kaggle's fake-face-detection set.
//! - [`Liveness`] — a 32 × 32 face crop → two softmax scores (LivenessNet, leokwu).
//!
//! Both take RGB values in 0..1, channels last, as Human feeds them. Each graph is a handful of
//! layers (fused conv2d + bias (+ relu), max-pool, batch-norm as a multiply-add, dense layers);
//! they are written out here layer by layer with the TF.js weight names, and checked against
//! the JavaScript graph run by tfjs (`tools/human-reference/`, `tests.rs`).
//!
//! IPS uses them as one of the signals telling a face printed on a product from a person on
//! camera (see [`crate::faces::motion`] for the other).

mod blazeface;

pub use blazeface::{ANCHOR_VALUES, BlazeBox, BlazeFace};

use std::path::Path;

use candle_core::{Device, Tensor};

use crate::faceapi::nn::{self, Conv, Map, Padding, Pool};
use crate::faceapi::weights::WeightMap;
use crate::faceapi::{ModelError, manifest_checksums, verify};

/// Where the package's model files go, relative to the models directory.
pub const MODEL_DIR: &str = "human/models";

/// Both networks, loaded once and shared by the analysis workers.
pub struct LivenessModels {
    pub antispoof: Antispoof,
    pub liveness: Liveness,
}

impl LivenessModels {
    /// Loads both from `<models_dir>/human/models/`, after checking every file against the
    /// sha256 in `<models_dir>/manifest.toml`.
    pub fn load(models_dir: &Path) -> Result<Self, ModelError> {
        let dir = models_dir.join(MODEL_DIR);
        let expected = manifest_checksums(models_dir, "human")?;
        for model in ["antispoof", "liveness"] {
            for file in [format!("{model}.json"), format!("{model}.bin")] {
                verify(&dir.join(&file), &expected, &format!("models/{file}"))?;
            }
        }
        Ok(Self {
            antispoof: Antispoof::from_weights(&WeightMap::load_graph_model(&dir, "antispoof")?)?,
            liveness: Liveness::from_weights(&WeightMap::load_graph_model(&dir, "liveness")?)?,
        })
    }
}

/// A fully connected layer: TF's `[in, out]` kernel and its bias.
pub struct Dense {
    weight: Tensor,
    bias: Vec<f32>,
}

impl Dense {
    pub fn load(weights: &WeightMap, kernel: &str, bias: &str) -> Result<Self, ModelError> {
        let shape = weights.shape(kernel)?.to_vec();
        let weight = weights.tensor(kernel, &shape)?;
        let out = shape.get(1).copied().unwrap_or(0);
        Ok(Self { weight, bias: weights.values(bias, &[out])?.to_vec() })
    }

    pub fn forward(&self, x: &[f32]) -> Result<Vec<f32>, ModelError> {
        let input = Tensor::from_slice(x, (1, x.len()), &Device::Cpu)?;
        let mut out = input.matmul(&self.weight)?.flatten_all()?.to_vec1::<f32>()?;
        out.iter_mut().zip(&self.bias).for_each(|(v, b)| *v += b);
        Ok(out)
    }
}

/// Human's `antispoof` graph: three (conv 3 × 3 valid → max-pool 2 → relu) blocks, then dense
/// 3136 → 128 (relu) → 1 (sigmoid).
pub struct Antispoof {
    convs: [Conv; 3],
    hidden: Dense,
    out: Dense,
}

impl Antispoof {
    pub const SIZE: usize = 128;

    pub fn from_weights(w: &WeightMap) -> Result<Self, ModelError> {
        Ok(Self {
            convs: [
                Conv::load(w, "unknown", Some("unknown_0"))?,
                Conv::load(w, "unknown_1", Some("unknown_2"))?,
                Conv::load(w, "unknown_3", Some("unknown_4"))?,
            ],
            hidden: Dense::load(w, "unknown_5", "unknown_6")?,
            out: Dense::load(w, "unknown_7", "unknown_8")?,
        })
    }

    /// How likely `face` (RGB 0..1, [`Self::SIZE`] square) is a real face: 0..1.
    pub fn real(&self, face: &Map) -> Result<f32, ModelError> {
        let mut x = face.clone();
        for conv in &self.convs {
            x = nn::pool(&conv.forward(&x, 1, Padding::Valid)?, Pool::Max, 2, 2).relu();
        }
        let hidden: Vec<f32> = self.hidden.forward(&x.data)?.into_iter().map(|v| v.max(0.0)).collect();
        let logit = self.out.forward(&hidden)?[0];
        Ok(1.0 / (1.0 + (-logit).exp()))
    }
}

/// Human's `liveness` graph (LivenessNet): (conv 3 × 3 same + relu → batch-norm) × 2 → max-pool,
/// twice, then dense 2048 → 64 (relu) → batch-norm → dense 2 → softmax.
pub struct Liveness {
    blocks: Vec<(Conv, Vec<f32>, Vec<f32>)>,
    hidden: Dense,
    norm: (Vec<f32>, Vec<f32>),
    out: Dense,
}

const LIVENESS_PREFIX: &str = "StatefulPartitionedCall/sequential_1";

impl Liveness {
    pub const SIZE: usize = 32;

    pub fn from_weights(w: &WeightMap) -> Result<Self, ModelError> {
        let name = |s: &str| format!("{LIVENESS_PREFIX}/{s}");
        let mut blocks = Vec::new();
        for i in 1..=4 {
            let conv = Conv::load(
                w,
                &name(&format!("conv2d_{i}/Conv2D/ReadVariableOp")),
                Some(&name(&format!("conv2d_{i}/BiasAdd/ReadVariableOp"))),
            )?;
            let c = conv.out_channels();
            let scale = w.values(&name(&format!("batch_normalization_{i}/FusedBatchNormV3/Scaled")), &[c])?.to_vec();
            let offset = w.values(&name(&format!("batch_normalization_{i}/FusedBatchNormV3/Offset")), &[c])?.to_vec();
            blocks.push((conv, scale, offset));
        }
        let hidden = Dense::load(w, &name("dense_1/MatMul/ReadVariableOp"), &name("dense_1/BiasAdd/ReadVariableOp"))?;
        let norm = (
            w.values(&name("batch_normalization_5/batchnorm/mul"), &[64])?.to_vec(),
            w.values(&name("batch_normalization_5/batchnorm/sub"), &[64])?.to_vec(),
        );
        let out = Dense::load(w, &name("dense_2/MatMul/ReadVariableOp"), &name("dense_2/BiasAdd/ReadVariableOp"))?;
        Ok(Self { blocks, hidden, norm, out })
    }

    /// The two softmax outputs for `face` (RGB 0..1, [`Self::SIZE`] square), in the graph's order.
    pub fn scores(&self, face: &Map) -> Result<[f32; 2], ModelError> {
        let mut x = face.clone();
        for (i, (conv, scale, offset)) in self.blocks.iter().enumerate() {
            x = conv.forward(&x, 1, Padding::Same)?.relu().affine(Some(scale), offset);
            if i % 2 == 1 {
                x = nn::pool(&x, Pool::Max, 2, 2);
            }
        }
        let hidden: Vec<f32> = self
            .hidden
            .forward(&x.data)?
            .into_iter()
            .zip(self.norm.0.iter().zip(&self.norm.1))
            .map(|(v, (m, a))| v.max(0.0) * m + a)
            .collect();
        let logits = self.out.forward(&hidden)?;
        let max = logits.iter().copied().fold(f32::MIN, f32::max);
        let exp: Vec<f32> = logits.iter().map(|v| (v - max).exp()).collect();
        let sum: f32 = exp.iter().sum();
        Ok([exp[0] / sum, exp[1] / sum])
    }
}

/// The square around a face box, `scale` times its longer side (Human crops its faces 1.4× the
/// detector's box), cut from `rgb` (0..255) with zeros outside the image, resized to `size` and
/// scaled to 0..1: the input both networks take.
pub fn face_input(rgb: &Map, (x, y, w, h): (f32, f32, f32, f32), scale: f32, size: usize) -> Map {
    let side = w.max(h) * scale;
    let (cx, cy) = (x + w / 2.0, y + h / 2.0);
    let (x0, y0) = ((cx - side / 2.0).round() as i64, (cy - side / 2.0).round() as i64);
    let side = side.round().max(1.0) as usize;
    let mut square = Map::zeros(side, side, rgb.c);
    for sy in 0..side {
        let iy = y0 + sy as i64;
        if iy < 0 || iy >= rgb.h as i64 {
            continue;
        }
        for sx in 0..side {
            let ix = x0 + sx as i64;
            if ix < 0 || ix >= rgb.w as i64 {
                continue;
            }
            let src = (iy as usize * rgb.w + ix as usize) * rgb.c;
            let dst = (sy * side + sx) * rgb.c;
            square.data[dst..dst + rgb.c].copy_from_slice(&rgb.data[src..src + rgb.c]);
        }
    }
    nn::resize_bilinear(&square, size, size).map(|v| v / 255.0)
}

#[cfg(test)]
mod tests;
