//! Human's BlazeFace (`models/human/models/blazeface.json`, MediaPipe's short-range face
//! detector, Apache-2.0): a 256 × 256 RGB image → 896 anchors, each a face logit and 16
//! regressors (box centre offset and size, six key points), decoded as Human's `blazeface.ts`
//! does.
//!
//! It is about ten times cheaper than face-api's SSD, and it was trained on faces near the
//! camera, so IPS asks it one question the SSD answers expensively: is there a face filling
//! this frame? (see [`crate::faces::detector`]).
//!
//! Unlike the two small nets beside it, this graph has 37 convolutions and 32 depthwise ones in
//! residual blocks, so it is not written out layer by layer: [`Graph`] runs the graph's own node
//! list for the handful of ops it uses, and refuses any other.

use std::path::Path;

use base64::Engine;
use serde::Deserialize;

use crate::faceapi::nn::{self, Conv, Depthwise, Map, Padding, Pool};
use crate::faceapi::weights::WeightMap;
use crate::faceapi::{ModelError, manifest_checksums, verify};

use super::MODEL_DIR;

/// One face BlazeFace found, in the pixels of the image it was given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlazeBox {
    /// Sigmoid of the anchor's logit, 0..1.
    pub score: f32,
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

pub struct BlazeFace {
    graph: Graph,
    /// Anchor centres in input pixels, in the order of the concatenated outputs.
    anchors: Vec<[f32; 2]>,
}

/// Values per anchor: the logit, then 16 regressors.
pub const ANCHOR_VALUES: usize = 17;

impl BlazeFace {
    pub const SIZE: usize = 256;

    /// Loads `<models_dir>/human/models/blazeface.{json,bin}` after checking both against the
    /// sha256 in `<models_dir>/manifest.toml`.
    pub fn load(models_dir: &Path) -> Result<Self, ModelError> {
        let dir = models_dir.join(MODEL_DIR);
        let expected = manifest_checksums(models_dir, "human")?;
        for file in ["blazeface.json", "blazeface.bin"] {
            verify(&dir.join(file), &expected, &format!("models/{file}"))?;
        }
        let graph = Graph::load(&dir, "blazeface")?;
        Ok(Self { graph, anchors: anchors(Self::SIZE) })
    }

    /// The graph's raw output for `input` (RGB 0..255, [`Self::SIZE`] square): one row of
    /// [`ANCHOR_VALUES`] per anchor, the 512 anchors of the 16 × 16 grid first, then the 384 of
    /// the 8 × 8 grid (Human's order).
    pub fn raw(&self, input: &Map) -> Result<Vec<[f32; ANCHOR_VALUES]>, ModelError> {
        let normalised = input.clone().map(|v| v / 127.5 - 1.0);
        let outputs = self.graph.run(normalised)?;
        // Human sorts the four outputs by size: scores 384, scores 512, boxes 384, boxes 512.
        let mut by_size: Vec<&Map> = outputs.iter().collect();
        by_size.sort_by_key(|m| m.data.len());
        let [s384, s512, b384, b512] = by_size[..] else {
            return Err(self.graph.error(format!("{} outputs, expected 4", outputs.len())));
        };
        let mut rows = Vec::with_capacity(self.anchors.len());
        for (scores, boxes) in [(s512, b512), (s384, b384)] {
            let n = scores.data.len();
            if boxes.data.len() != n * (ANCHOR_VALUES - 1) {
                return Err(self.graph.error(format!("{n} scores beside {} box values", boxes.data.len())));
            }
            for (i, score) in scores.data.iter().enumerate() {
                let mut row = [0.0; ANCHOR_VALUES];
                row[0] = *score;
                row[1..].copy_from_slice(&boxes.data[i * (ANCHOR_VALUES - 1)..][..ANCHOR_VALUES - 1]);
                rows.push(row);
            }
        }
        if rows.len() != self.anchors.len() {
            return Err(self.graph.error(format!("{} anchors out, {} expected", rows.len(), self.anchors.len())));
        }
        Ok(rows)
    }

    /// Faces in `rgb` (0..255, any size) scoring at least `min_score`, best first, overlaps
    /// removed: the image is centred on a black square (Human's `square` option, so faces keep
    /// their shape), resized to 256 × 256, and the boxes mapped back.
    pub fn detect(&self, rgb: &Map, min_score: f32) -> Result<Vec<BlazeBox>, ModelError> {
        let (square, (pad_y, pad_x)) = nn::pad_to_square(rgb, true);
        let input = nn::resize_bilinear(&square, Self::SIZE, Self::SIZE);
        let scale = square.h as f32 / Self::SIZE as f32;
        let mut found: Vec<BlazeBox> = Vec::new();
        for (row, [ax, ay]) in self.raw(&input)?.iter().zip(&self.anchors) {
            let score = 1.0 / (1.0 + (-row[0]).exp());
            if score < min_score {
                continue;
            }
            let (cx, cy, w, h) = (row[1] + ax, row[2] + ay, row[3], row[4]);
            found.push(BlazeBox {
                score,
                x: (cx - w / 2.0) * scale - pad_x as f32,
                y: (cy - h / 2.0) * scale - pad_y as f32,
                w: w * scale,
                h: h * scale,
            });
        }
        found.sort_by(|a, b| b.score.total_cmp(&a.score));
        let mut kept: Vec<BlazeBox> = Vec::new();
        for b in found {
            if kept.iter().all(|k| overlap(k, &b) < NMS_OVERLAP) {
                kept.push(b);
            }
        }
        Ok(kept)
    }
}

/// Boxes overlapping more than this (intersection over union) are one face (Human's default
/// `iouThreshold`).
const NMS_OVERLAP: f32 = 0.1;

fn overlap(a: &BlazeBox, b: &BlazeBox) -> f32 {
    let iw = ((a.x + a.w).min(b.x + b.w) - a.x.max(b.x)).max(0.0);
    let ih = ((a.y + a.h).min(b.y + b.h) - a.y.max(b.y)).max(0.0);
    let inter = iw * ih;
    let union = a.w * a.h + b.w * b.h - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}

/// Human's `generateAnchors` for BlazeFace: strides size/16 and size/8 with 2 and 6 anchors per
/// cell, centred in the cell, row by row.
pub fn anchors(size: usize) -> Vec<[f32; 2]> {
    let mut out = Vec::new();
    for (stride, per_cell) in [(size / 16, 2), (size / 8, 6)] {
        let cells = size.div_ceil(stride);
        for gy in 0..cells {
            for gx in 0..cells {
                let centre = [stride as f32 * (gx as f32 + 0.5), stride as f32 * (gy as f32 + 0.5)];
                out.extend(std::iter::repeat_n(centre, per_cell));
            }
        }
    }
    out
}

/// A TF.js graph model's node list, run in order for the ops BlazeFace uses.
struct Graph {
    name: String,
    steps: Vec<Step>,
    /// Indices of the steps whose values are the graph's outputs (its `Identity` nodes).
    outputs: Vec<usize>,
}

enum Op {
    Input,
    Conv {
        conv: Conv,
        stride: usize,
        padding: Padding,
        relu: bool,
    },
    Depthwise {
        conv: Depthwise,
        stride: usize,
        padding: Padding,
    },
    Add,
    Relu,
    MaxPool {
        k: usize,
        stride: usize,
    },
    /// Zero channels appended (the residual blocks' channel padding).
    PadChannels(usize),
    /// Reshape and Identity: NHWC data is already in the order the reshape gives.
    Same,
}

struct Step {
    op: Op,
    /// Indices of earlier steps this one reads.
    inputs: Vec<usize>,
}

#[derive(Deserialize)]
struct ModelJson {
    #[serde(rename = "modelTopology")]
    topology: Topology,
}

#[derive(Deserialize)]
struct Topology {
    node: Vec<Node>,
}

#[derive(Deserialize)]
struct Node {
    name: String,
    op: String,
    #[serde(default)]
    input: Vec<String>,
    #[serde(default)]
    attr: serde_json::Map<String, serde_json::Value>,
}

impl Node {
    /// A string attribute (TF.js stores them base64-encoded).
    fn text(&self, key: &str) -> Option<String> {
        let raw = self.attr.get(key)?.get("s")?.as_str()?;
        base64::engine::general_purpose::STANDARD.decode(raw).ok().and_then(|b| String::from_utf8(b).ok())
    }

    fn texts(&self, key: &str) -> Vec<String> {
        let list = self.attr.get(key).and_then(|a| a.get("list")).and_then(|l| l.get("s")).and_then(|s| s.as_array());
        list.into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .filter_map(|raw| base64::engine::general_purpose::STANDARD.decode(raw).ok())
            .filter_map(|b| String::from_utf8(b).ok())
            .collect()
    }

    /// The H (= W) entry of an NHWC list attribute such as `strides` or `ksize`.
    fn spatial(&self, key: &str) -> Option<usize> {
        let list = self.attr.get(key)?.get("list")?.get("i")?.as_array()?;
        let (h, w) = (list.get(1)?.as_str()?.parse().ok()?, list.get(2)?.as_str()?.parse::<usize>().ok()?);
        (h == w).then_some(h)
    }
}

impl Graph {
    fn load(dir: &Path, model: &str) -> Result<Self, ModelError> {
        let path = dir.join(format!("{model}.json"));
        let text = std::fs::read(&path).map_err(|e| ModelError::Missing(path.clone(), e.to_string()))?;
        let json: ModelJson = serde_json::from_slice(&text)
            .map_err(|e| ModelError::Format(path.clone(), format!("not a TF.js graph model: {e}")))?;
        let weights = WeightMap::load_graph_model(dir, model)?;
        let fail = |why: String| ModelError::Format(path.clone(), why);
        let mut index = std::collections::HashMap::new();
        let mut steps: Vec<Step> = Vec::new();
        let mut outputs = Vec::new();
        // The nodes come in an order where every op follows its inputs (checked below).
        for node in json.topology.node.iter().filter(|n| n.op != "Const") {
            let tensor_inputs: Vec<usize> =
                node.input.iter().filter_map(|name| index.get(name.as_str()).copied()).collect();
            let padding = || match node.text("padding").as_deref() {
                Some("SAME") => Ok(Padding::Same),
                Some("VALID") => Ok(Padding::Valid),
                other => Err(fail(format!("{}: padding {other:?}", node.name))),
            };
            let stride = || node.spatial("strides").ok_or_else(|| fail(format!("{}: strides", node.name)));
            let weight = |i: usize| {
                node.input.get(i).map(String::as_str).ok_or_else(|| fail(format!("{}: input {i}", node.name)))
            };
            let op = match node.op.as_str() {
                "Placeholder" => Op::Input,
                "_FusedConv2D" => {
                    let fused = node.texts("fused_ops");
                    let relu = match fused.iter().map(String::as_str).collect::<Vec<_>>()[..] {
                        ["BiasAdd"] => false,
                        ["BiasAdd", "Relu"] => true,
                        _ => return Err(fail(format!("{}: fused ops {fused:?}", node.name))),
                    };
                    Op::Conv {
                        conv: Conv::load(&weights, weight(1)?, Some(weight(2)?))?,
                        stride: stride()?,
                        padding: padding()?,
                        relu,
                    }
                }
                "DepthwiseConv2dNative" => Op::Depthwise {
                    conv: Depthwise::load(&weights, weight(1)?)?,
                    stride: stride()?,
                    padding: padding()?,
                },
                "AddV2" => Op::Add,
                "Relu" => Op::Relu,
                "MaxPool" => {
                    let k = node.spatial("ksize").ok_or_else(|| fail(format!("{}: ksize", node.name)))?;
                    Op::MaxPool { k, stride: stride()? }
                }
                "Pad" => {
                    let pads = weights.values(weight(1)?, &[4, 2])?;
                    if pads[..6].iter().any(|&p| p != 0.0) || pads[6] != 0.0 {
                        return Err(fail(format!("{}: only trailing channel padding is supported", node.name)));
                    }
                    Op::PadChannels(pads[7] as usize)
                }
                "Reshape" | "Identity" => Op::Same,
                other => return Err(fail(format!("{}: op {other} is not supported", node.name))),
            };
            let wanted = match op {
                Op::Input => 0,
                Op::Add => 2,
                _ => 1,
            };
            if tensor_inputs.len() != wanted {
                return Err(fail(format!("{}: inputs {:?} not all computed before it", node.name, node.input)));
            }
            if node.op == "Identity" {
                outputs.push(steps.len());
            }
            index.insert(node.name.as_str(), steps.len());
            steps.push(Step { op, inputs: tensor_inputs });
        }
        Ok(Self { name: model.to_string(), steps, outputs })
    }

    fn error(&self, why: String) -> ModelError {
        ModelError::Format(self.name.clone().into(), why)
    }

    /// Every output for `input`, in the order of the graph's `Identity` nodes.
    fn run(&self, input: Map) -> Result<Vec<Map>, ModelError> {
        // How many later steps still read each value, so it can be dropped after its last use.
        let mut readers = vec![0usize; self.steps.len()];
        for step in &self.steps {
            step.inputs.iter().for_each(|&i| readers[i] += 1);
        }
        self.outputs.iter().for_each(|&i| readers[i] += 1);
        let mut values: Vec<Option<Map>> = Vec::with_capacity(self.steps.len());
        let mut input = Some(input);
        for step in &self.steps {
            let arg = |k: usize| {
                values[step.inputs[k]].as_ref().ok_or_else(|| self.error("a value was read after its last use".into()))
            };
            let out = match &step.op {
                Op::Input => input.take().ok_or_else(|| self.error("two inputs".into()))?,
                Op::Conv { conv, stride, padding, relu } => {
                    let out = conv.forward(arg(0)?, *stride, *padding)?;
                    if *relu { out.relu() } else { out }
                }
                Op::Depthwise { conv, stride, padding } => conv.forward(arg(0)?, *stride, *padding),
                Op::Add => arg(0)?.clone().add(arg(1)?),
                Op::Relu => arg(0)?.clone().relu(),
                Op::MaxPool { k, stride } => {
                    let x = arg(0)?;
                    // The graph's pools are `same`; on sizes the stride divides that is `valid`.
                    if x.h % stride != 0 || x.w % stride != 0 || k != stride {
                        return Err(self.error(format!("max-pool of {}×{} by {k}/{stride}", x.h, x.w)));
                    }
                    nn::pool(x, Pool::Max, *k, *stride)
                }
                Op::PadChannels(extra) => pad_channels(arg(0)?, *extra),
                Op::Same => arg(0)?.clone(),
            };
            for &i in &step.inputs {
                readers[i] -= 1;
                if readers[i] == 0 {
                    values[i] = None;
                }
            }
            values.push(Some(out));
        }
        self.outputs
            .iter()
            .map(|&i| values[i].take().ok_or_else(|| self.error("an output was dropped".into())))
            .collect()
    }
}

fn pad_channels(x: &Map, extra: usize) -> Map {
    let c = x.c + extra;
    let mut out = Map::zeros(x.h, x.w, c);
    for (dst, src) in out.data.chunks_exact_mut(c).zip(x.data.chunks_exact(x.c)) {
        dst[..x.c].copy_from_slice(src);
    }
    out
}
