//! face-api's face detector: SSD with a MobileNetV1 backbone at 512 × 512, its box decoding and
//! its non-maximum suppression (`src/ssdMobilenetv1/` of the package), step for step; and the
//! same network run on the picture's part of its square only ([`Framing::Picture`]).

use super::ModelError;
use super::nn::{Conv, Depthwise, Map, Padding, Then, resize_bilinear_padded};
use super::weights::WeightMap;

pub const MODEL: &str = "ssd_mobilenetv1_model";
const INPUT: usize = 512;
const ANCHORS: usize = 5118;
/// TF's batch-norm epsilon as stored in the graph (f32 of 0.001).
const EPSILON: f32 = 0.001_000_000_047_497_451_3;
/// face-api's fixed overlap threshold for suppression.
const IOU_THRESHOLD: f32 = 0.5;

/// A face box in image pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceBox {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
    pub score: f32,
}

/// The backbone's coarsest stride: a picture is run in whole cells of it.
const CELL: usize = 32;

/// Which part of the 512 × 512 square (the image scaled to fit, black below or to its right) the
/// network runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// The whole square, as face-api runs it: every anchor.
    Square,
    /// The picture and `margin` input pixels of the black past it, rounded up to whole
    /// [`CELL`]s: a 9 : 16 frame fills 288 × 512 of the square, so nearly half of face-api's work
    /// is on black. Layers pad as the square's even sizes do ([`Padding::SameAligned`]), so
    /// every cell computed is a cell of the square, decoded with that cell's anchors; what
    /// differs is only what lies past the part run: zeros (grey, at the input) instead of black.
    Picture { margin: usize },
}

impl Framing {
    /// What a run uses: the picture and one cell of black (measured against the square on the
    /// replay corpus's frames: `examples/ssd_framing.rs`, README "Speed").
    pub const RUN: Framing = Framing::Picture { margin: CELL };

    /// Rows and columns of the network's input for an `h × w` image.
    fn input_size(self, h: usize, w: usize) -> (usize, usize) {
        match self {
            Framing::Square => (INPUT, INPUT),
            Framing::Picture { margin } => {
                // face-api's rounded "reshaped" size of the picture inside the square.
                let scale = INPUT as f64 / h.max(w) as f64;
                let fit = |n: usize| ((n as f64 * scale).round() as usize + margin).next_multiple_of(CELL).min(INPUT);
                (fit(h), fit(w))
            }
        }
    }
}

/// The network's decoded output before suppression: per anchor `[ymin, xmin, ymax, xmax]` in the
/// padded square (0..1) and the face probability.
pub struct RawDetections {
    pub boxes: Vec<[f32; 4]>,
    pub scores: Vec<f32>,
}

/// A pointwise-or-full convolution followed by a bias and relu6 (MobileNet's "pointwise" layer).
struct ConvBn {
    conv: Conv,
    stride: usize,
}

impl ConvBn {
    fn load(w: &WeightMap, prefix: &str, stride: usize) -> Result<Self, ModelError> {
        let conv = Conv::load(w, &format!("{prefix}/weights"), Some(&format!("{prefix}/convolution_bn_offset")))?;
        Ok(Self { conv, stride })
    }

    fn forward(&self, x: &Map) -> Result<Map, ModelError> {
        Ok(self.conv.forward(x, self.stride, Padding::SameAligned)?.clip6())
    }
}

/// Depthwise 3×3 + folded batch norm + relu6.
struct DepthwiseBn {
    conv: Depthwise,
    stride: usize,
    scale: Vec<f32>,
    offset: Vec<f32>,
}

impl DepthwiseBn {
    fn load(w: &WeightMap, idx: usize, stride: usize) -> Result<Self, ModelError> {
        let prefix = format!("MobilenetV1/Conv2d_{idx}_depthwise");
        let conv = Depthwise::load(w, &format!("{prefix}/depthwise_weights"))?;
        let c = w.shape(&format!("{prefix}/BatchNorm/gamma"))?[0];
        let get = |name: &str| w.values(&format!("{prefix}/BatchNorm/{name}"), &[c]);
        let (gamma, beta, mean, var) = (get("gamma")?, get("beta")?, get("moving_mean")?, get("moving_variance")?);
        // (x − mean) · γ / √(var + ε) + β  =  x · s + (β − mean · s)
        let scale: Vec<f32> = gamma.iter().zip(var).map(|(g, v)| g / (v + EPSILON).sqrt()).collect();
        let offset = beta.iter().zip(mean).zip(&scale).map(|((b, m), s)| b - m * s).collect();
        Ok(Self { conv, stride, scale, offset })
    }

    fn forward(&self, x: &Map) -> Map {
        let then = Then::AffineClip6 { scale: &self.scale, offset: &self.offset };
        self.conv.forward_then(x, self.stride, Padding::SameAligned, then)
    }
}

struct BoxPredictor {
    encoding: Conv,
    class: Conv,
}

pub struct SsdMobilenetV1 {
    stem: ConvBn,
    backbone: Vec<(DepthwiseBn, ConvBn)>,
    extra: Vec<ConvBn>,
    predictors: Vec<BoxPredictor>,
    /// The anchors, `[ymin, xmin, ymax, xmax]`.
    anchors: Vec<[f32; 4]>,
}

impl SsdMobilenetV1 {
    pub fn from_weights(w: &WeightMap) -> Result<Self, ModelError> {
        let stem = ConvBn::load(w, "MobilenetV1/Conv2d_0_pointwise", 2)?;
        let backbone = (1..=13)
            .map(|i| {
                let stride = if [2, 4, 6, 12].contains(&i) { 2 } else { 1 };
                Ok((
                    DepthwiseBn::load(w, i, stride)?,
                    ConvBn::load(w, &format!("MobilenetV1/Conv2d_{i}_pointwise"), 1)?,
                ))
            })
            .collect::<Result<_, ModelError>>()?;
        let extra = (0..8)
            .map(|i| ConvBn::load(w, &format!("Prediction/Conv2d_{i}_pointwise"), if i % 2 == 1 { 2 } else { 1 }))
            .collect::<Result<_, _>>()?;
        let predictors = (0..6)
            .map(|i| {
                let p = format!("Prediction/BoxPredictor_{i}");
                Ok(BoxPredictor {
                    encoding: Conv::load(
                        w,
                        &format!("{p}/BoxEncodingPredictor/weights"),
                        Some(&format!("{p}/BoxEncodingPredictor/biases")),
                    )?,
                    class: Conv::load(
                        w,
                        &format!("{p}/ClassPredictor/weights"),
                        Some(&format!("{p}/ClassPredictor/biases")),
                    )?,
                })
            })
            .collect::<Result<_, ModelError>>()?;
        let anchors =
            w.values("Output/extra_dim", &[1, ANCHORS, 4])?.chunks_exact(4).map(|a| [a[0], a[1], a[2], a[3]]).collect();
        Ok(Self { stem, backbone, extra, predictors, anchors })
    }

    /// Runs the network on an RGB image (`h × w × 3`, values 0..255) and decodes the anchors of
    /// the part of the square `framing` says (every anchor for [`Framing::Square`]).
    pub fn forward(&self, rgb: &Map, framing: Framing) -> Result<RawDetections, ModelError> {
        // face-api pads the image to a square with zeros before resizing; the resize reads the
        // zeros without the padded copy.
        let side = rgb.h.max(rgb.w);
        let (h, w) = framing.input_size(rgb.h, rgb.w);
        let x = resize_bilinear_padded(rgb, (side, side), (INPUT, INPUT), (h, w)).map(|v| v / 127.5 - 1.0);
        let mut out = self.stem.forward(&x)?;
        let mut conv11 = None;
        for (i, (depthwise, pointwise)) in self.backbone.iter().enumerate() {
            out = pointwise.forward(&depthwise.forward(&out))?;
            if i + 1 == 11 {
                conv11 = Some(out.clone());
            }
        }
        let conv11 = conv11.expect("the backbone has 13 layers");
        let mut features = vec![conv11, out.clone()];
        let mut x = out;
        for (i, layer) in self.extra.iter().enumerate() {
            x = layer.forward(&x)?;
            if i % 2 == 1 {
                features.push(x.clone());
            }
        }
        let mut encodings = Vec::with_capacity(ANCHORS * 4);
        let mut logits = Vec::with_capacity(ANCHORS * 3);
        let mut anchors = Vec::with_capacity(ANCHORS);
        let mut first_of_layer = 0;
        for (layer, (feature, predictor)) in features.iter().zip(&self.predictors).enumerate() {
            encodings.extend(predictor.encoding.forward(feature, 1, Padding::Same)?.data);
            logits.extend(predictor.class.forward(feature, 1, Padding::Same)?.data);
            // The square's anchors run over its cells row by row, then per cell; this layer's
            // map is the top-left `feature.h × feature.w` of its `grid × grid`.
            let (grid, per_cell) = (INPUT / (16 << layer), predictor.encoding.out_channels() / 4);
            if feature.h > grid || feature.w > grid {
                return Err(ModelError::Format(MODEL.into(), format!("layer {layer} larger than the square's")));
            }
            for row in 0..feature.h {
                let start = first_of_layer + row * grid * per_cell;
                anchors.extend(self.anchors.get(start..start + feature.w * per_cell).into_iter().flatten());
            }
            first_of_layer += grid * grid * per_cell;
        }
        if first_of_layer != ANCHORS || encodings.len() != anchors.len() * 4 || logits.len() != anchors.len() * 3 {
            return Err(ModelError::Format(
                MODEL.into(),
                format!("{} box encodings for {} anchors", encodings.len() / 4, anchors.len()),
            ));
        }
        let boxes = anchors.iter().zip(encodings.chunks_exact(4)).map(|(a, e)| decode(a, e)).collect();
        let scores = logits.chunks_exact(3).map(|l| sigmoid(l[1])).collect();
        Ok(RawDetections { boxes, scores })
    }

    /// Faces in `rgb` scoring above `min_score`, best first, at most `max_results`, in pixels.
    pub fn detect(
        &self,
        rgb: &Map,
        framing: Framing,
        min_score: f32,
        max_results: usize,
    ) -> Result<Vec<FaceBox>, ModelError> {
        let raw = self.forward(rgb, framing)?;
        Ok(to_pixels(&raw, &suppress(&raw, min_score, max_results), rgb.w, rgb.h))
    }
}

fn sigmoid(v: f32) -> f32 {
    1.0 / (1.0 + (-v).exp())
}

/// The SSD box coder with face-api's scales (10 for centres, 5 for sizes).
fn decode(anchor: &[f32; 4], e: &[f32]) -> [f32; 4] {
    let (ah, aw) = (anchor[2] - anchor[0], anchor[3] - anchor[1]);
    let (acy, acx) = (anchor[0] + ah / 2.0, anchor[1] + aw / 2.0);
    let half_h = (e[2] / 5.0).exp() * ah / 2.0;
    let cy = e[0] / 10.0 * ah + acy;
    let half_w = (e[3] / 5.0).exp() * aw / 2.0;
    let cx = e[1] / 10.0 * aw + acx;
    [cy - half_h, cx - half_w, cy + half_h, cx + half_w]
}

/// face-api's greedy suppression: candidates above `min_score`, best first; a candidate that
/// overlaps a kept box by more than [`IOU_THRESHOLD`] is dropped.
pub fn suppress(raw: &RawDetections, min_score: f32, max_results: usize) -> Vec<usize> {
    let mut candidates: Vec<usize> = (0..raw.scores.len()).filter(|&i| raw.scores[i] > min_score).collect();
    candidates.sort_by(|&a, &b| raw.scores[b].total_cmp(&raw.scores[a]));
    let mut kept: Vec<usize> = Vec::new();
    for c in candidates {
        if kept.len() >= max_results.min(raw.scores.len()) {
            break;
        }
        if kept.iter().all(|&k| iou(&raw.boxes[c], &raw.boxes[k]) <= IOU_THRESHOLD) {
            kept.push(c);
        }
    }
    kept
}

fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let area = |r: &[f32; 4]| (r[2].max(r[0]) - r[2].min(r[0])) * (r[3].max(r[1]) - r[3].min(r[1]));
    let (area_a, area_b) = (area(a), area(b));
    if area_a <= 0.0 || area_b <= 0.0 {
        return 0.0;
    }
    let ih = (a[2].max(a[0]).min(b[2].max(b[0])) - a[0].min(a[2]).max(b[0].min(b[2]))).max(0.0);
    let iw = (a[3].max(a[1]).min(b[3].max(b[1])) - a[1].min(a[3]).max(b[1].min(b[3]))).max(0.0);
    let inter = ih * iw;
    inter / (area_a + area_b - inter)
}

/// Kept anchors as pixel boxes of the `width × height` image (face-api's `locateFaces`).
fn to_pixels(raw: &RawDetections, kept: &[usize], width: usize, height: usize) -> Vec<FaceBox> {
    // The square was padded at the bottom/right, so a box's 0..1 coordinates scale by the long
    // side; face-api goes through its rounded "reshaped" size, and so do we.
    let scale = INPUT as f64 / width.max(height) as f64;
    let (rw, rh) = ((width as f64 * scale).round(), (height as f64 * scale).round());
    let (pad_x, pad_y) = (INPUT as f64 / rw, INPUT as f64 / rh);
    kept.iter()
        .map(|&i| {
            let b = raw.boxes[i];
            let top = (b[0].max(0.0) as f64) * pad_y;
            let bottom = (b[2].min(1.0) as f64) * pad_y;
            let left = (b[1].max(0.0) as f64) * pad_x;
            let right = (b[3].min(1.0) as f64) * pad_x;
            FaceBox {
                x: (left * width as f64) as f32,
                y: (top * height as f64) as f32,
                width: ((right - left) * width as f64) as f32,
                height: ((bottom - top) * height as f64) as f32,
                score: raw.scores[i],
            }
        })
        .collect()
}
