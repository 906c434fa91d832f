//! CLIP image embeddings: the ViT-B/32 image tower and visual projection of OpenAI's CLIP, run
//! with candle ([`tower`]: the tower laid out for CPU speed), loaded from `models/clip-vit-base-patch32/` (`model.safetensors` +
//! `config.json`, the Hugging Face checkpoint) when the user has put the weights there. IPS
//! cannot download them; without them [`ClipImageEncoder::load`] says CLIP is off.

pub mod attention;
pub mod bf16;
pub mod resize;
pub mod tower;

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::{Linear, Module, VarBuilder};
use candle_transformers::models::clip::text_model::Activation;
use candle_transformers::models::clip::vision_model::ClipVisionConfig;
use opencv::core::Mat;
use opencv::imgproc;
use opencv::prelude::*;
use serde::{Deserialize, Serialize};

/// Where the weights go, relative to the models directory.
pub const MODEL_DIR: &str = "clip-vit-base-patch32";

/// OpenAI's normalisation constants (RGB).
const MEAN: [f32; 3] = [0.481_454_66, 0.457_827_5, 0.408_210_73];
const STD: [f32; 3] = [0.268_629_54, 0.261_302_58, 0.275_777_11];

#[derive(Debug, thiserror::Error)]
pub enum ClipError {
    #[error("CLIP is off: {0} is missing (see models/README.md)")]
    Missing(PathBuf),
    #[error("CLIP config unreadable: {0}")]
    Config(String),
    #[error("CLIP model: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("CLIP preprocessing: {0}")]
    Image(#[from] opencv::Error),
}

/// The arithmetic CLIP's dense layers use (`pipeline.clip_precision`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClipPrecision {
    /// bf16 where the CPU has AVX-512 BF16, else f32.
    #[default]
    Auto,
    F32,
    /// bf16, falling back to f32 (with a warning) on a CPU without AVX-512 BF16.
    Bf16,
}

impl ClipPrecision {
    /// What this CPU will run.
    pub fn resolve(self) -> tower::Precision {
        match self {
            Self::F32 => tower::Precision::F32,
            Self::Auto | Self::Bf16 if bf16::available() => tower::Precision::Bf16,
            Self::Auto => tower::Precision::F32,
            Self::Bf16 => {
                tracing::warn!("clip_precision = \"bf16\" but this CPU has no AVX-512 BF16: CLIP runs in f32");
                tower::Precision::F32
            }
        }
    }
}

/// The parts of a Hugging Face `config.json` the image tower needs.
#[derive(Debug, Deserialize)]
struct HfConfig {
    projection_dim: usize,
    vision_config: HfVisionConfig,
}

#[derive(Debug, Deserialize)]
struct HfVisionConfig {
    hidden_size: usize,
    intermediate_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    image_size: usize,
    patch_size: usize,
    #[serde(default = "three")]
    num_channels: usize,
    #[serde(default)]
    hidden_act: Option<String>,
}

fn three() -> usize {
    3
}

pub struct ClipImageEncoder {
    vision: tower::ImageTower,
    precision: tower::Precision,
    projection: Linear,
    image_size: usize,
    device: Device,
}

impl ClipImageEncoder {
    /// Loads `dir/config.json` and `dir/model.safetensors` (memory-mapped), for the dense
    /// layers' arithmetic `precision` asks.
    pub fn load(dir: &Path, precision: ClipPrecision) -> Result<Self, ClipError> {
        let (config_path, weights) = (dir.join("config.json"), dir.join("model.safetensors"));
        for path in [&config_path, &weights] {
            if !path.is_file() {
                return Err(ClipError::Missing(path.clone()));
            }
        }
        let text = std::fs::read_to_string(&config_path).map_err(|e| ClipError::Config(e.to_string()))?;
        let hf: HfConfig = serde_json::from_str(&text).map_err(|e| ClipError::Config(e.to_string()))?;
        if hf.vision_config.hidden_act.as_deref().is_some_and(|a| a != "quick_gelu") {
            return Err(ClipError::Config(format!("activation {:?} is not supported", hf.vision_config.hidden_act)));
        }
        let v = &hf.vision_config;
        let config = ClipVisionConfig {
            embed_dim: v.hidden_size,
            activation: Activation::QuickGelu,
            intermediate_size: v.intermediate_size,
            num_hidden_layers: v.num_hidden_layers,
            num_attention_heads: v.num_attention_heads,
            projection_dim: hf.projection_dim,
            num_channels: v.num_channels,
            image_size: v.image_size,
            patch_size: v.patch_size,
        };
        let device = Device::Cpu;
        // SAFETY: the file is memory-mapped read-only; IPS never writes model files while running.
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[weights], DType::F32, &device)? };
        // Said plainly: a checkpoint without it is not a CLIP image tower (candle-transformers
        // would even draw a random one).
        if !vb.contains_tensor("vision_model.embeddings.class_embedding") {
            return Err(ClipError::Config("the checkpoint has no vision_model.embeddings.class_embedding".into()));
        }
        let precision = precision.resolve();
        let vision = tower::ImageTower::load(vb.pp("vision_model"), &config, precision)?;
        let projection = candle_nn::linear_no_bias(v.hidden_size, hf.projection_dim, vb.pp("visual_projection"))?;
        Ok(Self { vision, precision, projection, image_size: v.image_size, device })
    }

    /// The arithmetic the dense layers run in.
    pub fn precision(&self) -> tower::Precision {
        self.precision
    }

    /// CLIP's preprocessing of a BGR image, as Hugging Face's `CLIPImageProcessor` does it:
    /// shortest side to `image_size` with Pillow's bicubic ([`resize`], byte-exact), the long
    /// side to ⌊image_size · long / short⌋, centre crop (offsets rounded down), × 1/255,
    /// normalised with OpenAI's mean and std; RGB, CHW.
    pub fn preprocess(&self, bgr: &Mat) -> Result<Vec<f32>, ClipError> {
        let side = self.image_size;
        let (w, h) = (bgr.cols().max(1) as usize, bgr.rows().max(1) as usize);
        let (nw, nh) = if w <= h { (side, side * h / w) } else { (side * w / h, side) };
        let mut rgb = Mat::default();
        imgproc::cvt_color_def(bgr, &mut rgb, imgproc::COLOR_BGR2RGB)?;
        let rgb = if rgb.is_continuous() { rgb } else { rgb.try_clone()? };
        let resized = resize::resize_bicubic_rgb(rgb.data_bytes()?, w, h, nw, nh);
        let (left, top) = ((nw - side) / 2, (nh - side) / 2);
        let plane = side * side;
        let mut chw = vec![0f32; 3 * plane];
        for y in 0..side {
            for x in 0..side {
                let px = &resized[((top + y) * nw + left + x) * 3..][..3];
                for c in 0..3 {
                    // transformers rescales in f64, then normalises in f32.
                    let v = (px[c] as f64 * (1.0 / 255.0)) as f32;
                    chw[c * plane + y * side + x] = (v - MEAN[c]) / STD[c];
                }
            }
        }
        Ok(chw)
    }

    /// L2-normalised embeddings of BGR images, computed as one batch.
    pub fn embed(&self, images: &[Mat]) -> Result<Vec<Vec<f32>>, ClipError> {
        if images.is_empty() {
            return Ok(Vec::new());
        }
        let mut pixels = Vec::with_capacity(images.len() * 3 * self.image_size * self.image_size);
        for image in images {
            pixels.extend(self.preprocess(image)?);
        }
        let batch = Tensor::from_vec(pixels, (images.len(), 3, self.image_size, self.image_size), &self.device)?;
        let rows: Vec<Vec<f32>> = self.project(&batch)?.to_vec2()?;
        Ok(rows.into_iter().map(normalised).collect())
    }

    /// The image tower and projection on preprocessed pixels `(batch, 3, size, size)`: CLIP's
    /// `image_embeds`, before normalisation.
    pub fn project(&self, pixels: &Tensor) -> Result<Tensor, ClipError> {
        Ok(self.projection.forward(&self.vision.forward(pixels)?)?)
    }
}

/// The unit vector along `v` (zero stays zero).
pub fn normalised(v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 { v.into_iter().map(|x| x / norm).collect() } else { v }
}

/// For each item, the `k` others whose embeddings are most alike (cosine similarity, best
/// first). Embeddings are unit vectors, so the dot product is the cosine.
pub fn nearest<K: Copy + PartialEq>(items: &[(K, &[f32])], k: usize) -> Vec<(K, Vec<(K, f32)>)> {
    items
        .iter()
        .map(|(key, a)| {
            let mut others: Vec<(K, f32)> = items
                .iter()
                .filter(|(other, _)| other != key)
                .map(|(other, b)| (*other, a.iter().zip(b.iter()).map(|(x, y)| x * y).sum()))
                .collect();
            others.sort_by(|x, y| y.1.total_cmp(&x.1));
            others.truncate(k);
            (*key, others)
        })
        .collect()
}

/// A video's embedding: the normalised mean of its frames' embeddings.
pub fn mean_embedding(frames: &[Vec<f32>]) -> Option<Vec<f32>> {
    let first = frames.first()?;
    let mut sum = vec![0f32; first.len()];
    for frame in frames {
        for (s, x) in sum.iter_mut().zip(frame) {
            *s += x;
        }
    }
    Some(normalised(sum))
}

#[cfg(test)]
mod tests;
