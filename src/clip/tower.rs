//! The CLIP ViT image tower, written for speed on the CPU. The maths is that of Hugging Face's
//! `CLIPVisionModel` (and candle-transformers' `ClipVisionTransformer`, which reads the same
//! checkpoint names); the tests compare all three. What differs is how the work is laid out,
//! from a profile of the batch-32 benchmark (`cargo bench --bench clip_speed`):
//! - weights are transposed once at load, so every dense layer is one contiguous matrix
//!   product (`fc2` through a transposed view ran at 2/3 of the speed);
//! - query, key and value are one product, with the 1/√d attention scale folded into the query
//!   weights;
//! - the fc1 bias and the quick-GELU are one parallel pass ([`BiasQuickGelu`]): done as four
//!   tensor ops it was 40 ms of every layer, a sixth of the whole tower;
//! - softmax uses candle's fused last-dimension kernel;
//! - the last layer computes only the class token, the one output CLIP uses.

use candle_core::{CpuStorage, CustomOp1, D, IndexOp, Layout, Module, Result, Shape, Tensor};
use candle_nn::{LayerNorm, VarBuilder};
use candle_transformers::models::clip::vision_model::ClipVisionConfig;
use rayon::prelude::*;

use super::{attention, bf16};

/// The arithmetic of the dense layers (everything else stays f32, as under PyTorch's autocast).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    F32,
    /// Weights and inputs rounded to bf16, products summed in f32 ([`bf16`]); only where
    /// [`bf16::available`] says the CPU can.
    Bf16,
}

/// A dense layer with its weight stored transposed, `(in, out)`, and contiguous; in bf16 it is
/// packed for [`bf16::PackedWeight::matmul`] instead.
enum Dense {
    F32 { weight_t: Tensor, bias: Option<Tensor> },
    Bf16 { weight: bf16::PackedWeight, bias: Option<Vec<f32>> },
}

impl Dense {
    fn load(vb: &VarBuilder, inputs: usize, outputs: usize, precision: Precision) -> Result<Self> {
        let weight_t = vb.get((outputs, inputs), "weight")?.t()?.contiguous()?;
        Self::new(weight_t, Some(vb.get(outputs, "bias")?), precision)
    }

    /// `weight_t`: `(in, out)`, contiguous.
    fn new(weight_t: Tensor, bias: Option<Tensor>, precision: Precision) -> Result<Self> {
        Ok(match precision {
            Precision::F32 => Self::F32 { weight_t, bias },
            Precision::Bf16 => {
                let (inputs, outputs) = weight_t.dims2()?;
                let weight = bf16::PackedWeight::pack(&weight_t.flatten_all()?.to_vec1()?, inputs, outputs);
                Self::Bf16 { weight, bias: bias.map(|b| b.to_vec1()).transpose()? }
            }
        })
    }

    /// `x`: `(rows, in)`.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match self {
            Self::F32 { weight_t, bias } => {
                let y = x.matmul(weight_t)?;
                match bias {
                    Some(bias) => y.broadcast_add(bias),
                    None => Ok(y),
                }
            }
            Self::Bf16 { weight, bias } => {
                x.apply_op1_no_bwd(&Bf16Dense { weight, bias: bias.as_deref(), activation: bf16::Activation::None })
            }
        }
    }

    /// `quick_gelu(x·W + bias)`, `bias` given here (a layer built without one): in f32 as a
    /// product then one pass ([`BiasQuickGelu`]), in bf16 inside the kernel.
    fn forward_quick_gelu(&self, x: &Tensor, bias: &[f32]) -> Result<Tensor> {
        match self {
            Self::F32 { .. } => self.forward(x)?.apply_op1_no_bwd(&BiasQuickGelu(bias)),
            Self::Bf16 { weight, .. } => {
                x.apply_op1_no_bwd(&Bf16Dense { weight, bias: Some(bias), activation: bf16::Activation::QuickGelu })
            }
        }
    }
}

/// [`Dense::forward`] in bf16, as a candle op on `(rows, in)` f32 input.
struct Bf16Dense<'a> {
    weight: &'a bf16::PackedWeight,
    bias: Option<&'a [f32]>,
    activation: bf16::Activation,
}

impl CustomOp1 for Bf16Dense<'_> {
    fn name(&self) -> &'static str {
        "bf16-dense"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let CpuStorage::F32(data) = storage else {
            return Err(candle_core::Error::Msg("bf16-dense: f32 input only".into()));
        };
        let (Some((start, end)), [rows, inputs]) = (layout.contiguous_offsets(), layout.dims()) else {
            return Err(candle_core::Error::Msg("bf16-dense: contiguous (rows, inputs) input only".into()));
        };
        if *inputs != self.weight.inputs() {
            return Err(candle_core::Error::Msg(format!(
                "bf16-dense: {inputs} inputs for a layer of {}",
                self.weight.inputs()
            )));
        }
        let out = self.weight.matmul(&data[start..end], *rows, self.bias, self.activation);
        Ok((CpuStorage::F32(out), Shape::from((*rows, self.weight.outputs()))))
    }
}

struct EncoderLayer {
    norm1: LayerNorm,
    /// `(d, 3d)`: query (pre-scaled), key, value.
    qkv: Dense,
    out: Dense,
    norm2: LayerNorm,
    /// Without its bias: that goes with the activation ([`Dense::forward_quick_gelu`]).
    fc1: Dense,
    fc1_bias: Vec<f32>,
    fc2: Dense,
}

impl EncoderLayer {
    fn load(vb: VarBuilder, c: &ClipVisionConfig, precision: Precision) -> Result<Self> {
        let d = c.embed_dim;
        let attn = vb.pp("self_attn");
        let scale = ((d / c.num_attention_heads) as f64).powf(-0.5);
        let projection = |name: &str, factor: f64| -> Result<(Tensor, Tensor)> {
            let p = attn.pp(name);
            Ok(((p.get((d, d), "weight")? * factor)?, (p.get(d, "bias")? * factor)?))
        };
        // (x·W + b)·s = x·(W·s) + b·s: the scale costs nothing at run time.
        let (q_w, q_b) = projection("q_proj", scale)?;
        let (k_w, k_b) = projection("k_proj", 1.0)?;
        let (v_w, v_b) = projection("v_proj", 1.0)?;
        let qkv = Dense::new(
            Tensor::cat(&[q_w, k_w, v_w], 0)?.t()?.contiguous()?,
            Some(Tensor::cat(&[q_b, k_b, v_b], 0)?),
            precision,
        )?;
        let mlp = vb.pp("mlp");
        let fc1 = mlp.pp("fc1");
        Ok(Self {
            norm1: candle_nn::layer_norm(d, 1e-5, vb.pp("layer_norm1"))?,
            qkv,
            out: Dense::load(&attn.pp("out_proj"), d, d, precision)?,
            norm2: candle_nn::layer_norm(d, 1e-5, vb.pp("layer_norm2"))?,
            fc1: Dense::new(fc1.get((c.intermediate_size, d), "weight")?.t()?.contiguous()?, None, precision)?,
            fc1_bias: fc1.get(c.intermediate_size, "bias")?.to_vec1()?,
            fc2: Dense::load(&mlp.pp("fc2"), c.intermediate_size, d, precision)?,
        })
    }

    /// `x`: `(batch, tokens, d)`. With `class_only`, only the class token (the first) goes on:
    /// `(batch, 1, d)`.
    fn forward(&self, x: &Tensor, heads: usize, class_only: bool) -> Result<Tensor> {
        let (b, n, d) = x.dims3()?;
        let head_dim = d / heads;
        let normed = self.norm1.forward(x)?.reshape((b * n, d))?;
        let queries = if class_only { 1 } else { n };
        let qkv = self.qkv.forward(&normed)?;
        let attended = match self.qkv {
            // The bf16 tower runs only on AVX-512 CPUs, where the fused attention can.
            Dense::Bf16 { .. } => qkv.apply_op1_no_bwd(&FusedAttention(attention::Heads {
                batch: b,
                tokens: n,
                heads,
                head_dim,
                queries,
            }))?,
            Dense::F32 { .. } => {
                // (3, batch, heads, tokens, head_dim)
                let qkv = qkv.reshape((b, n, 3, heads, head_dim))?.permute((2, 0, 3, 1, 4))?;
                let q = qkv.get(0)?.narrow(2, 0, queries)?.contiguous()?.reshape((b * heads, queries, head_dim))?;
                let k = qkv.get(1)?.contiguous()?.reshape((b * heads, n, head_dim))?;
                let v = qkv.get(2)?.contiguous()?.reshape((b * heads, n, head_dim))?;
                let weights = candle_nn::ops::softmax_last_dim(&q.matmul(&k.t()?)?)?;
                weights
                    .matmul(&v)?
                    .reshape((b, heads, queries, head_dim))?
                    .transpose(1, 2)?
                    .contiguous()?
                    .reshape((b * queries, d))?
            }
        };
        let residual = if class_only { x.narrow(1, 0, 1)? } else { x.clone() };
        let x = (self.out.forward(&attended)?.reshape((b, queries, d))? + residual)?;
        let normed = self.norm2.forward(&x)?.reshape((b * queries, d))?;
        let hidden = self.fc1.forward_quick_gelu(&normed, &self.fc1_bias)?;
        x + self.fc2.forward(&hidden)?.reshape((b, queries, d))?
    }
}

/// [`attention::attend`] as a candle op on the `(rows, 3d)` query/key/value product.
struct FusedAttention(attention::Heads);

impl CustomOp1 for FusedAttention {
    fn name(&self) -> &'static str {
        "fused-attention"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let CpuStorage::F32(data) = storage else {
            return Err(candle_core::Error::Msg("fused-attention: f32 input only".into()));
        };
        let Some((start, end)) = layout.contiguous_offsets() else {
            return Err(candle_core::Error::Msg("fused-attention: contiguous input only".into()));
        };
        let h = self.0;
        let d = h.heads * h.head_dim;
        if layout.dims() != [h.batch * h.tokens, 3 * d] {
            return Err(candle_core::Error::Msg(format!("fused-attention: input {:?} is not {h:?}", layout.dims())));
        }
        Ok((CpuStorage::F32(attention::attend(&data[start..end], h)), Shape::from((h.batch * h.queries, d))))
    }
}

/// `(x + bias) · σ(1.702 · (x + bias))` over rows of `bias.len()` columns, in parallel.
struct BiasQuickGelu<'a>(&'a [f32]);

impl CustomOp1 for BiasQuickGelu<'_> {
    fn name(&self) -> &'static str {
        "bias-quick-gelu"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let CpuStorage::F32(data) = storage else {
            return Err(candle_core::Error::Msg("bias-quick-gelu: f32 only".into()));
        };
        let Some((start, end)) = layout.contiguous_offsets() else {
            return Err(candle_core::Error::Msg("bias-quick-gelu: contiguous input only".into()));
        };
        let columns = self.0.len();
        if columns == 0 || layout.dims().last() != Some(&columns) {
            return Err(candle_core::Error::Msg("bias-quick-gelu: bias and rows differ in length".into()));
        }
        let mut out = data[start..end].to_vec();
        out.par_chunks_mut(columns * 64).for_each(|rows| {
            for row in rows.chunks_mut(columns) {
                for (v, b) in row.iter_mut().zip(self.0) {
                    let x = *v + b;
                    *v = x / (1.0 + (-1.702 * x).exp());
                }
            }
        });
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }
}

/// The image tower: pixels `(batch, channels, size, size)` → pooled output `(batch, d)`, after
/// the final layer norm (the input of the visual projection).
pub struct ImageTower {
    patch_size: usize,
    heads: usize,
    /// `(channels · patch², d)`: the patch convolution as one matrix product.
    patch: Dense,
    class_embedding: Tensor,
    /// `(tokens, d)`, the class token's first.
    positions: Tensor,
    pre_norm: LayerNorm,
    layers: Vec<EncoderLayer>,
    post_norm: LayerNorm,
}

impl ImageTower {
    /// `vb` points at `vision_model` in a Hugging Face CLIP checkpoint. [`Precision::Bf16`] needs
    /// a CPU where [`bf16::available`].
    pub fn load(vb: VarBuilder, c: &ClipVisionConfig, precision: Precision) -> Result<Self> {
        if precision == Precision::Bf16 && !bf16::available() {
            return Err(candle_core::Error::Msg("bf16 needs a CPU with AVX-512 BF16".into()));
        }
        let (d, p, channels) = (c.embed_dim, c.patch_size, c.num_channels);
        let embeddings = vb.pp("embeddings");
        let tokens = (c.image_size / p).pow(2) + 1;
        let patch_weight_t =
            embeddings.pp("patch_embedding").get((d, channels, p, p), "weight")?.reshape((d, ()))?.t()?.contiguous()?;
        let layers = (0..c.num_hidden_layers)
            .map(|i| EncoderLayer::load(vb.pp(format!("encoder.layers.{i}")), c, precision))
            .collect::<Result<Vec<_>>>()?;
        if layers.is_empty() {
            return Err(candle_core::Error::Msg("a CLIP tower needs at least one layer".into()));
        }
        Ok(Self {
            patch_size: p,
            heads: c.num_attention_heads,
            patch: Dense::new(patch_weight_t, None, precision)?,
            class_embedding: embeddings.get(d, "class_embedding")?,
            positions: embeddings.pp("position_embedding").get((tokens, d), "weight")?,
            pre_norm: candle_nn::layer_norm(d, 1e-5, vb.pp("pre_layrnorm"))?,
            layers,
            post_norm: candle_nn::layer_norm(d, 1e-5, vb.pp("post_layernorm"))?,
        })
    }
}

impl Module for ImageTower {
    fn forward(&self, pixels: &Tensor) -> Result<Tensor> {
        let (b, c, h, w) = pixels.dims4()?;
        let p = self.patch_size;
        let (rows, cols) = (h / p, w / p);
        let d = self.class_embedding.dim(D::Minus1)?;
        // Each patch as one row of channels · patch² values, in the convolution weight's order.
        let patches = pixels
            .reshape((b, c, rows, p, cols, p))?
            .permute((0, 2, 4, 1, 3, 5))?
            .contiguous()?
            .reshape((b * rows * cols, c * p * p))?;
        let patch_embeds = self.patch.forward(&patches)?.reshape((b, rows * cols, d))?;
        let class = self.class_embedding.reshape((1, 1, d))?.broadcast_as((b, 1, d))?.contiguous()?;
        let x = Tensor::cat(&[&class, &patch_embeds], 1)?.broadcast_add(&self.positions)?;
        let mut x = self.pre_norm.forward(&x)?;
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(&x, self.heads, i == last)?;
        }
        self.post_norm.forward(&x.i((.., 0, ..))?)
    }
}
