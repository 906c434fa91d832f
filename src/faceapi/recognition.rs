//! face-api's face recognition net: dlib's ResNet-29 (`dlib_face_recognition_resnet_model_v1`)
//! on a 150 × 150 aligned face, giving a 128-d descriptor; the same person lies within ~0.6
//! Euclidean distance (dlib's threshold, 99.38 % on LFW).

use candle_core::{Device, Tensor};

use super::ModelError;
use super::landmarks::normalised_input;
use super::nn::{Conv, Map, Padding, Pool, pad_bottom_right, pool};
use super::weights::WeightMap;

pub const MODEL: &str = "face_recognition_model";
pub const INPUT: usize = 150;
pub const DESCRIPTOR_LEN: usize = 128;

/// Convolution, bias, then dlib's affine "scale" layer.
struct ScaledConv {
    conv: Conv,
    scale: Vec<f32>,
    offset: Vec<f32>,
}

impl ScaledConv {
    fn load(w: &WeightMap, prefix: &str) -> Result<Self, ModelError> {
        let conv = Conv::load(w, &format!("{prefix}/conv/filters"), Some(&format!("{prefix}/conv/bias")))?;
        let c = conv.out_channels();
        let scale = w.values(&format!("{prefix}/scale/weights"), &[c])?.to_vec();
        let offset = w.values(&format!("{prefix}/scale/biases"), &[c])?.to_vec();
        Ok(Self { conv, scale, offset })
    }

    fn forward(&self, x: &Map, stride: usize, padding: Padding) -> Result<Map, ModelError> {
        Ok(self.conv.forward(x, stride, padding)?.affine(Some(&self.scale), &self.offset))
    }
}

struct Residual {
    conv1: ScaledConv,
    conv2: ScaledConv,
    down: bool,
}

impl Residual {
    fn load(w: &WeightMap, prefix: &str) -> Result<Self, ModelError> {
        let down = prefix.contains("down");
        Ok(Self {
            conv1: ScaledConv::load(w, &format!("{prefix}/conv1"))?,
            conv2: ScaledConv::load(w, &format!("{prefix}/conv2"))?,
            down,
        })
    }

    fn forward(&self, x: &Map) -> Result<Map, ModelError> {
        if !self.down {
            let out = self.conv1.forward(x, 1, Padding::Same)?.relu();
            return Ok(self.conv2.forward(&out, 1, Padding::Same)?.add(x).relu());
        }
        // face-api's `residualDown`: a valid stride-2 conv on one path, 2×2 average pooling on
        // the shortcut, the conv path zero-padded by a row and a column when they disagree, and
        // the shortcut's missing channels zero.
        let mut out = self.conv1.forward(x, 2, Padding::Valid)?.relu();
        out = self.conv2.forward(&out, 1, Padding::Same)?;
        let pooled = pool(x, Pool::Average, 2, 2);
        if (pooled.h, pooled.w) != (out.h, out.w) {
            out = pad_bottom_right(&out, out.h + 1, out.w + 1);
        }
        let mut sum = out;
        for (dst, src) in sum.data.chunks_exact_mut(sum.c).zip(pooled.data.chunks_exact(pooled.c)) {
            dst.iter_mut().zip(src).for_each(|(d, s)| *d += s);
        }
        Ok(sum.relu())
    }
}

pub struct FaceRecognitionNet {
    stem: ScaledConv,
    blocks: Vec<Residual>,
    fc: Tensor,
}

impl FaceRecognitionNet {
    pub fn from_weights(w: &WeightMap) -> Result<Self, ModelError> {
        let names = [
            "conv32_1",
            "conv32_2",
            "conv32_3",
            "conv64_down",
            "conv64_1",
            "conv64_2",
            "conv64_3",
            "conv128_down",
            "conv128_1",
            "conv128_2",
            "conv256_down",
            "conv256_1",
            "conv256_2",
            "conv256_down_out",
        ];
        Ok(Self {
            stem: ScaledConv::load(w, "conv32_down")?,
            blocks: names.iter().map(|n| Residual::load(w, n)).collect::<Result<_, _>>()?,
            fc: w.tensor("fc", &[256, DESCRIPTOR_LEN])?,
        })
    }

    /// The 128-d descriptor of an aligned face crop (`h × w × 3` RGB, 0..255; padded to a centred
    /// square and resized to 150 × 150 as face-api does).
    pub fn descriptor(&self, crop: &Map) -> Result<Vec<f32>, ModelError> {
        let x = normalised_input(crop, INPUT);
        let mut out = self.stem.forward(&x, 2, Padding::Valid)?.relu();
        out = pool(&out, Pool::Max, 3, 2);
        for block in &self.blocks {
            out = block.forward(&out)?;
        }
        let mean = pool(&out, Pool::Average, out.h, 1);
        let features = Tensor::from_vec(mean.data, (1, out.c), &Device::Cpu)?;
        Ok(features.matmul(&self.fc)?.flatten_all()?.to_vec1::<f32>()?)
    }
}

/// Euclidean distance between two descriptors.
pub fn distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>().sqrt()
}
