//! TF.js weights: a `*-weights_manifest.json` (or a graph model's `model.json`, whose
//! `weightsManifest` is the same list) plus its `.bin` shards, read into candle tensors.
//!
//! face-api ships its weights uint8-quantised: each tensor stores one byte per value and a
//! per-tensor `scale` and `min`; the value is `min + scale × byte`, computed the way TF.js's
//! `decodeWeights` does (in f64, then stored as f32) so the networks see the same numbers.
//! `@vladmandic/human` ships some as float16 (two bytes, IEEE half precision) and some as
//! plain float32.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use serde::Deserialize;

use super::ModelError;

#[derive(Debug, Deserialize)]
struct Group {
    paths: Vec<String>,
    weights: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    name: String,
    shape: Vec<usize>,
    dtype: String,
    quantization: Option<Quantization>,
}

#[derive(Debug, Deserialize)]
struct Quantization {
    #[serde(default)]
    scale: f64,
    #[serde(default)]
    min: f64,
    dtype: String,
}

/// A TF.js graph model's `model.json`: only its weights are read (the graph is written in Rust).
#[derive(Debug, Deserialize)]
struct GraphModel {
    #[serde(rename = "weightsManifest")]
    weights_manifest: Vec<Group>,
}

/// Every tensor of one model by its TF.js name, dequantised to f32, in the manifest's shapes.
pub struct WeightMap {
    name: String,
    tensors: HashMap<String, (Vec<usize>, Vec<f32>)>,
}

impl WeightMap {
    /// Reads `<dir>/<model>-weights_manifest.json` and the shards it names.
    pub fn load(dir: &Path, model: &str) -> Result<Self, ModelError> {
        let manifest_path = dir.join(format!("{model}-weights_manifest.json"));
        let text = read(&manifest_path)?;
        let groups: Vec<Group> = serde_json::from_slice(&text)
            .map_err(|e| ModelError::Format(manifest_path.clone(), format!("not a TF.js weights manifest: {e}")))?;
        Self::from_groups(dir, model, &manifest_path, groups)
    }

    /// Reads the weights of the graph model `<dir>/<model>.json` and the shards it names.
    pub fn load_graph_model(dir: &Path, model: &str) -> Result<Self, ModelError> {
        let manifest_path = dir.join(format!("{model}.json"));
        let text = read(&manifest_path)?;
        let graph: GraphModel = serde_json::from_slice(&text)
            .map_err(|e| ModelError::Format(manifest_path.clone(), format!("not a TF.js graph model: {e}")))?;
        Self::from_groups(dir, model, &manifest_path, graph.weights_manifest)
    }

    fn from_groups(dir: &Path, model: &str, manifest_path: &Path, groups: Vec<Group>) -> Result<Self, ModelError> {
        let manifest_path = manifest_path.to_path_buf();
        let mut tensors = HashMap::new();
        for group in groups {
            let mut bytes = Vec::new();
            for shard in &group.paths {
                bytes.extend(read(&dir.join(shard))?);
            }
            let mut offset = 0;
            for entry in group.weights {
                let (values, used) = decode(&entry, &bytes[offset.min(bytes.len())..])
                    .map_err(|why| ModelError::Format(manifest_path.clone(), format!("{}: {why}", entry.name)))?;
                offset += used;
                tensors.insert(entry.name, (entry.shape, values));
            }
            if offset != bytes.len() {
                let why = format!("the shards hold {} bytes, the manifest describes {offset}", bytes.len());
                return Err(ModelError::Format(manifest_path, why));
            }
        }
        Ok(Self { name: model.to_string(), tensors })
    }

    /// The tensor `name` as flat f32 values, after checking its shape.
    pub fn values(&self, name: &str, shape: &[usize]) -> Result<&[f32], ModelError> {
        let (actual, values) = self.tensors.get(name).ok_or_else(|| self.missing(name))?;
        if actual != shape {
            return Err(ModelError::Shape {
                model: self.name.clone(),
                tensor: name.into(),
                expected: shape.to_vec(),
                actual: actual.clone(),
            });
        }
        Ok(values)
    }

    /// The tensor `name` as a candle tensor of `shape` (checked against the manifest).
    pub fn tensor(&self, name: &str, shape: &[usize]) -> Result<Tensor, ModelError> {
        let values = self.values(name, shape)?;
        Ok(Tensor::from_slice(values, shape, &Device::Cpu)?)
    }

    /// The tensor's shape as the manifest gives it.
    pub fn shape(&self, name: &str) -> Result<&[usize], ModelError> {
        self.tensors.get(name).map(|(shape, _)| shape.as_slice()).ok_or_else(|| self.missing(name))
    }

    fn missing(&self, name: &str) -> ModelError {
        ModelError::Format(PathBuf::from(&self.name), format!("tensor {name} is missing"))
    }
}

fn read(path: &Path) -> Result<Vec<u8>, ModelError> {
    std::fs::read(path).map_err(|e| ModelError::Missing(path.to_path_buf(), e.to_string()))
}

/// Decodes one entry from the front of `bytes`; returns its values and how many bytes it used.
fn decode(entry: &Entry, bytes: &[u8]) -> Result<(Vec<f32>, usize), String> {
    let count: usize = entry.shape.iter().product();
    match &entry.quantization {
        Some(q) if q.dtype == "uint8" => {
            let raw = bytes.get(..count).ok_or("the shard ends early")?;
            // TF.js: `v * scale + min` in f64; integer tensors are rounded after it.
            let values = raw
                .iter()
                .map(|&b| {
                    let v = b as f64 * q.scale + q.min;
                    if entry.dtype == "int32" { v.round() as f32 } else { v as f32 }
                })
                .collect();
            Ok((values, count))
        }
        Some(q) if q.dtype == "float16" => {
            let raw = bytes.get(..count * 2).ok_or("the shard ends early")?;
            let values = raw.chunks_exact(2).map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32()).collect();
            Ok((values, count * 2))
        }
        Some(q) => Err(format!("quantisation {} is not supported", q.dtype)),
        None if entry.dtype == "int32" => {
            let raw = bytes.get(..count * 4).ok_or("the shard ends early")?;
            let values = raw.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f32).collect();
            Ok((values, count * 4))
        }
        None if entry.dtype == "float32" => {
            let raw = bytes.get(..count * 4).ok_or("the shard ends early")?;
            let values = raw.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
            Ok((values, count * 4))
        }
        None => Err(format!("dtype {} is not supported", entry.dtype)),
    }
}
