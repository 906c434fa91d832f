//! face-api's 68-point landmark net (`FaceLandmark68Net`): four dense blocks of separable
//! convolutions on a 112 × 112 face crop, then one fully connected layer to 68 (x, y) pairs.

use candle_core::Tensor;

use super::ModelError;
use super::nn::{Conv, Depthwise, Map, Padding, Pool, pad_to_square, pool, resize_bilinear};
use super::weights::WeightMap;

pub const MODEL: &str = "face_landmark_68_model";
const INPUT: usize = 112;
/// The mean RGB face-api subtracts before dividing by 255.
pub const MEAN_RGB: [f32; 3] = [122.782, 117.001, 104.298];

/// Depthwise 3×3 then pointwise, plus a bias (TF's `separableConv2d`).
struct Separable {
    depthwise: Depthwise,
    pointwise: Conv,
}

impl Separable {
    fn load(w: &WeightMap, prefix: &str) -> Result<Self, ModelError> {
        Ok(Self {
            depthwise: Depthwise::load(w, &format!("{prefix}/depthwise_filter"))?,
            pointwise: Conv::load(w, &format!("{prefix}/pointwise_filter"), Some(&format!("{prefix}/bias")))?,
        })
    }

    fn forward(&self, x: &Map, stride: usize) -> Result<Map, ModelError> {
        self.pointwise.forward(&self.depthwise.forward(x, stride, Padding::Same), 1, Padding::Same)
    }
}

enum FirstConv {
    Full(Conv),
    Separable(Separable),
}

struct DenseBlock {
    first: FirstConv,
    rest: [Separable; 3],
}

impl DenseBlock {
    fn load(w: &WeightMap, prefix: &str, first_layer: bool) -> Result<Self, ModelError> {
        let first = if first_layer {
            FirstConv::Full(Conv::load(w, &format!("{prefix}/conv0/filters"), Some(&format!("{prefix}/conv0/bias")))?)
        } else {
            FirstConv::Separable(Separable::load(w, &format!("{prefix}/conv0"))?)
        };
        let rest = [1, 2, 3].map(|i| Separable::load(w, &format!("{prefix}/conv{i}")));
        let [a, b, c] = rest;
        Ok(Self { first, rest: [a?, b?, c?] })
    }

    /// `denseBlock4` of face-api: each conv sees the relu of the sum of all earlier outputs.
    fn forward(&self, x: &Map) -> Result<Map, ModelError> {
        let out1 = match &self.first {
            FirstConv::Full(conv) => conv.forward(x, 2, Padding::Same)?,
            FirstConv::Separable(sep) => sep.forward(x, 2)?,
        }
        .relu();
        let out2 = self.rest[0].forward(&out1, 1)?;
        let in3 = out1.clone().add(&out2).relu();
        let out3 = self.rest[1].forward(&in3, 1)?;
        let sum3 = out1.add(&out2).add(&out3);
        let out4 = self.rest[2].forward(&sum3.clone().relu(), 1)?;
        Ok(sum3.add(&out4).relu())
    }
}

pub struct FaceLandmark68Net {
    blocks: [DenseBlock; 4],
    fc_weight: Tensor,
    fc_bias: Vec<f32>,
}

impl FaceLandmark68Net {
    pub fn from_weights(w: &WeightMap) -> Result<Self, ModelError> {
        let blocks = [0, 1, 2, 3].map(|i| DenseBlock::load(w, &format!("dense{i}"), i == 0));
        let [a, b, c, d] = blocks;
        Ok(Self {
            blocks: [a?, b?, c?, d?],
            fc_weight: w.tensor("fc/weights", &[256, 136])?,
            fc_bias: w.values("fc/bias", &[136])?.to_vec(),
        })
    }

    /// The net's 136 outputs for a face crop (`h × w × 3` RGB, 0..255): x, y pairs relative to
    /// the padded 112 × 112 square.
    pub fn raw(&self, crop: &Map) -> Result<Vec<f32>, ModelError> {
        let mut x = normalised_input(crop, INPUT);
        for block in &self.blocks {
            x = block.forward(&x)?;
        }
        let pooled = pool(&x, Pool::Average, 7, 2);
        let features = Tensor::from_vec(pooled.data, (1, 256), &candle_core::Device::Cpu)?;
        let mut out = features.matmul(&self.fc_weight)?.flatten_all()?.to_vec1::<f32>()?;
        out.iter_mut().zip(&self.fc_bias).for_each(|(v, b)| *v += b);
        Ok(out)
    }

    /// The 68 landmarks in crop pixels (face-api's `detectLandmarks` positions).
    pub fn landmarks(&self, crop: &Map) -> Result<Vec<[f32; 2]>, ModelError> {
        let raw = self.raw(crop)?;
        Ok(to_crop_pixels(&raw, crop.w, crop.h))
    }
}

/// face-api's input path for face nets: pad to a centred square, resize, subtract the mean RGB,
/// divide by 255.
pub fn normalised_input(crop: &Map, size: usize) -> Map {
    let (square, _) = pad_to_square(crop, true);
    let mut x = resize_bilinear(&square, size, size);
    for px in x.data.chunks_exact_mut(3) {
        for (v, m) in px.iter_mut().zip(MEAN_RGB) {
            *v = (*v - m) / 255.0;
        }
    }
    x
}

/// Undoes the centred padding (face-api's `postProcess`) and scales to the crop's pixels.
fn to_crop_pixels(raw: &[f32], width: usize, height: usize) -> Vec<[f32; 2]> {
    let scale = INPUT as f64 / width.max(height) as f64;
    let (sw, sh) = (width as f64 * scale, height as f64 * scale);
    let pad_x = if sw < sh { (sw - sh).abs() / 2.0 } else { 0.0 };
    let pad_y = if sh < sw { (sw - sh).abs() / 2.0 } else { 0.0 };
    raw.chunks_exact(2)
        .map(|p| {
            let rel_x = (p[0] as f64 * INPUT as f64 - pad_x) / sw;
            let rel_y = (p[1] as f64 * INPUT as f64 - pad_y) / sh;
            [(rel_x * width as f64) as f32, (rel_y * height as f64) as f32]
        })
        .collect()
}
