//! The CLIP loading path on a tiny random checkpoint the test writes with the real tensor names
//! (the real weights cannot be had here).

use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::clip::vision_model::ClipVisionTransformer;
use opencv::core::{CV_8UC3, Mat, Scalar};

use super::*;

/// A 2-layer, 32-wide ViT on 64 × 64 images.
fn tiny_config() -> ClipVisionConfig {
    ClipVisionConfig {
        embed_dim: 32,
        activation: Activation::QuickGelu,
        intermediate_size: 64,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        projection_dim: 16,
        num_channels: 3,
        image_size: 64,
        patch_size: 16,
    }
}

/// Writes a 2-layer, 32-wide ViT with the Hugging Face names and config layout into `dir`.
fn write_tiny_checkpoint(dir: &Path) {
    write_checkpoint(dir, true);
}

fn write_checkpoint(dir: &Path, with_class_embedding: bool) {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let config = tiny_config();
    // candle draws a random class embedding when the checkpoint has none: create it first, so
    // it is a variable of the map and saved with the rest.
    if with_class_embedding {
        vb.pp("vision_model.embeddings")
            .get_with_hints(32, "class_embedding", candle_nn::Init::Randn { mean: 0.0, stdev: 0.02 })
            .unwrap();
    }
    ClipVisionTransformer::new(vb.pp("vision_model"), &config).unwrap();
    candle_nn::linear_no_bias(32, 16, vb.pp("visual_projection")).unwrap();
    varmap.save(dir.join("model.safetensors")).unwrap();
    let config_json = r#"{"projection_dim": 16, "vision_config": {"hidden_size": 32, "intermediate_size": 64,
        "num_hidden_layers": 2, "num_attention_heads": 4, "image_size": 64, "patch_size": 16, "hidden_act": "quick_gelu"}}"#;
    std::fs::write(dir.join("config.json"), config_json).unwrap();
}

fn image(colour: [f64; 3], w: i32, h: i32) -> Mat {
    let mut m =
        Mat::new_rows_cols_with_default(h, w, CV_8UC3, Scalar::new(colour[0], colour[1], colour[2], 0.0)).unwrap();
    opencv::imgproc::circle(&mut m, opencv::core::Point::new(w / 3, h / 2), w / 5, Scalar::all(255.0), -1, 8, 0)
        .unwrap();
    m
}

#[test]
fn a_checkpoint_with_the_real_names_loads_and_embeds() {
    let dir = tempfile::tempdir().unwrap();
    write_tiny_checkpoint(dir.path());
    let encoder = ClipImageEncoder::load(dir.path(), ClipPrecision::Auto).unwrap();
    let images = [image([20.0, 80.0, 200.0], 360, 640), image([200.0, 60.0, 10.0], 640, 360)];
    let embeddings = encoder.embed(&images).unwrap();
    assert_eq!(embeddings.len(), 2);
    for e in &embeddings {
        assert_eq!(e.len(), 16);
        let norm = e.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "unit length, got {norm}");
    }
    assert_ne!(embeddings[0], embeddings[1], "different images, different embeddings");

    // The same weights loaded again give the same numbers (no randomness at inference), and an
    // image's embedding does not depend on the batch it is in (up to float rounding).
    let reloaded = ClipImageEncoder::load(dir.path(), ClipPrecision::Auto).unwrap();
    assert_eq!(reloaded.embed(&images).unwrap(), embeddings);
    let alone = reloaded.embed(&images[..1]).unwrap();
    assert!(alone[0].iter().zip(&embeddings[0]).all(|(a, b)| (a - b).abs() < 1e-4));

    let video = mean_embedding(&embeddings).unwrap();
    assert!((video.iter().map(|x| x * x).sum::<f32>().sqrt() - 1.0).abs() < 1e-5);
}

#[test]
fn preprocessing_is_openai_s_resize_crop_and_normalise() {
    let dir = tempfile::tempdir().unwrap();
    write_tiny_checkpoint(dir.path());
    let encoder = ClipImageEncoder::load(dir.path(), ClipPrecision::Auto).unwrap();
    let grey = Mat::new_rows_cols_with_default(300, 100, CV_8UC3, Scalar::all(128.0)).unwrap();
    let chw = encoder.preprocess(&grey).unwrap();
    assert_eq!(chw.len(), 3 * 64 * 64);
    for c in 0..3 {
        let expected = (128.0 / 255.0 - MEAN[c]) / STD[c];
        assert!((chw[c * 64 * 64 + 100] - expected).abs() < 1e-4, "channel {c}");
    }
}

#[test]
fn without_weights_clip_is_off_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let err = ClipImageEncoder::load(dir.path(), ClipPrecision::Auto).err().expect("no weights");
    assert!(err.to_string().starts_with("CLIP is off:"), "{err}");
}

#[test]
fn a_checkpoint_without_class_embedding_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_checkpoint(dir.path(), false);
    let err = ClipImageEncoder::load(dir.path(), ClipPrecision::Auto).err().expect("refused");
    assert!(err.to_string().contains("class_embedding"), "{err}");
}

/// `tools/clip_reference.py`'s tiny random CLIP image tower (its directory), and what it saved
/// with it: the preprocessed images' shape and pixels and the embeddings transformers computed.
struct TinyReference {
    dir: std::path::PathBuf,
    json: serde_json::Value,
    shape: Vec<usize>,
    expected: Vec<Vec<f32>>,
}

impl TinyReference {
    fn load() -> Self {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/clip/testdata/tiny");
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("reference.json")).unwrap()).unwrap();
        let shape = serde_json::from_value(json["pixel_shape"].clone()).unwrap();
        let expected = serde_json::from_value(json["image_embeds"].clone()).unwrap();
        Self { dir, json, shape, expected }
    }

    fn pixels(&self) -> Vec<f32> {
        serde_json::from_value(self.json["pixel_values"].clone()).unwrap()
    }

    /// The embeddings the encoder loaded in `precision` computes for the reference's pixels.
    fn embed(&self, precision: ClipPrecision) -> (tower::Precision, Vec<Vec<f32>>) {
        let encoder = ClipImageEncoder::load(&self.dir, precision).unwrap();
        let input = Tensor::from_vec(self.pixels(), self.shape.as_slice(), &Device::Cpu).unwrap();
        (encoder.precision(), encoder.project(&input).unwrap().to_vec2().unwrap())
    }
}

/// Parity with Hugging Face transformers: `tools/clip_reference.py` saved a tiny random CLIP image
/// tower, two preprocessed images and the embeddings transformers computed for them.
#[test]
fn matches_the_transformers_reference() {
    let reference = TinyReference::load();
    let (shape, expected) = (&reference.shape, &reference.expected);
    let (_, got) = reference.embed(ClipPrecision::F32);
    let max_diff = got.iter().flatten().zip(expected.iter().flatten()).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert_eq!(got.len(), expected.len());
    eprintln!("CLIP parity: max abs difference {max_diff:e}");
    // The README states 5.96e-7 and this bound.
    assert!(max_diff <= 1e-6, "max abs difference {max_diff}");

    // Preprocessing: ours (Pillow's bicubic reproduced byte for byte) against transformers', on
    // noise (image 0) and a gradient (image 1).
    let pixels = reference.pixels();
    let (dir, encoder) = (&reference.dir, ClipImageEncoder::load(&reference.dir, ClipPrecision::F32).unwrap());
    let plane = 3 * shape[2] * shape[3];
    for i in 0..shape[0] {
        let image =
            opencv::imgcodecs::imread(dir.join(format!("image{i}.png")).as_os_str(), opencv::imgcodecs::IMREAD_COLOR)
                .unwrap();
        let ours = encoder.preprocess(&image).unwrap();
        let diff = ours.iter().zip(&pixels[i * plane..(i + 1) * plane]).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        eprintln!("preprocessing image {i}: max abs difference {diff:e}");
        assert!(diff <= 1e-7, "image {i} preprocessed differently: {diff}");
    }
}

/// The tower laid out for speed computes what candle-transformers' straightforward one does,
/// on the same checkpoint, alone and in a batch.
#[test]
fn the_fast_tower_matches_candle_transformers() {
    let dir = tempfile::tempdir().unwrap();
    write_tiny_checkpoint(dir.path());
    let weights = dir.path().join("model.safetensors");
    let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[weights], DType::F32, &Device::Cpu).unwrap() };
    let config = tiny_config();
    let plain = ClipVisionTransformer::new(vb.pp("vision_model"), &config).unwrap();
    let fast = tower::ImageTower::load(vb.pp("vision_model"), &config, tower::Precision::F32).unwrap();
    for batch in [1, 3] {
        let pixels = Tensor::randn(0f32, 1f32, (batch, 3, 64, 64), &Device::Cpu).unwrap();
        let want: Vec<Vec<f32>> = plain.forward(&pixels).unwrap().to_vec2().unwrap();
        let got: Vec<Vec<f32>> = fast.forward(&pixels).unwrap().to_vec2().unwrap();
        assert_eq!((got.len(), got[0].len()), (batch, 32));
        let diff = got.iter().flatten().zip(want.iter().flatten()).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(diff <= 1e-5, "batch {batch}: max abs difference {diff}");
    }
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    dot / (a.iter().map(|x| x * x).sum::<f32>().sqrt() * b.iter().map(|x| x * x).sum::<f32>().sqrt())
}

/// A small deterministic spread of values in [-0.5, 0.5).
fn numbers(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        })
        .collect()
}

/// The bf16 kernel sums exactly the products of bf16-rounded inputs and weights (up to f32
/// summation), with bias and quick-GELU, on sizes that leave partial tiles, odd inputs,
/// partial panels and several row chunks.
#[test]
fn bf16_dense_layers_sum_the_rounded_products() {
    if !bf16::available() {
        // Said, and the fallback checked instead: this CPU cannot run the kernel.
        eprintln!("this CPU has no AVX-512 BF16: checking the f32 fallback");
        assert_eq!(ClipPrecision::Auto.resolve(), tower::Precision::F32);
        assert_eq!(ClipPrecision::Bf16.resolve(), tower::Precision::F32);
        return;
    }
    let round = |v: f32| half::bf16::from_f32(v).to_f32() as f64;
    // The last case has rows in several chunks (each 3 blocks of its 3,001 inputs).
    let cases = [
        (13, 71, 45, true, false),
        (12, 64, 32, false, false),
        (1, 1, 1, true, true),
        (30, 200, 70, true, true),
        (200, 3001, 40, true, false),
    ];
    for (rows, inputs, outputs, with_bias, gelu) in cases {
        let x = numbers(rows * inputs, 7 + rows as u64);
        let w = numbers(inputs * outputs, 11 + inputs as u64);
        let bias = numbers(outputs, 13);
        let packed = bf16::PackedWeight::pack(&w, inputs, outputs);
        let activation = if gelu { bf16::Activation::QuickGelu } else { bf16::Activation::None };
        let got = packed.matmul(&x, rows, with_bias.then_some(bias.as_slice()), activation);
        assert_eq!(got.len(), rows * outputs);
        // f32 sums drift with their length: the bound is 2^-20 of the sum of |products|.
        let mut worst = 0f64;
        for r in 0..rows {
            for j in 0..outputs {
                let products = (0..inputs).map(|k| round(x[r * inputs + k]) * round(w[k * outputs + j]));
                let magnitude = products.clone().map(f64::abs).sum::<f64>() + 1.0;
                let sum = products.sum::<f64>() + if with_bias { bias[j] as f64 } else { 0.0 };
                let want = if gelu { sum / (1.0 + (-1.702 * sum).exp()) } else { sum };
                worst = worst.max((want - got[r * outputs + j] as f64).abs() / magnitude);
            }
        }
        assert!(worst <= 1.0 / f64::from(1 << 20), "{rows}×{inputs}×{outputs}: relative difference {worst}");
    }
}

/// The bf16 tower against transformers' f32 embeddings (the tiny reference): the README states
/// the cosine each embedding reaches and this bound, the issue's.
#[test]
fn the_bf16_tower_stays_within_the_f32_embeddings() {
    let reference = TinyReference::load();
    let (precision, got) = reference.embed(ClipPrecision::Bf16);
    if !bf16::available() {
        eprintln!("this CPU has no AVX-512 BF16: checking that bf16 falls back to f32");
        assert_eq!(precision, tower::Precision::F32);
        return;
    }
    assert_eq!(precision, tower::Precision::Bf16);
    assert_eq!(got.len(), reference.expected.len());
    for (i, (g, e)) in got.iter().zip(&reference.expected).enumerate() {
        let c = cosine(g, e);
        eprintln!("bf16 CLIP, image {i}: cosine {c:.6} to transformers' f32");
        assert!(c >= 0.999, "image {i}: cosine {c}");
    }
}

/// The fused attention against the textbook formula in f64, all queries and the class token
/// only.
#[test]
fn fused_attention_is_softmax_weighted_values() {
    if !bf16::available() {
        eprintln!("this CPU has no AVX-512 BF16: the fused attention (bf16 tower only) never runs here");
        assert_eq!(ClipPrecision::Auto.resolve(), tower::Precision::F32);
        return;
    }
    // A small odd shape (the plain loops) and ViT-B/32's (the register version).
    for (batch, tokens, heads, head_dim, queries) in
        [(2, 7, 3, 5, 7), (2, 7, 3, 5, 1), (2, 50, 2, 64, 50), (1, 50, 2, 64, 1)]
    {
        let d = heads * head_dim;
        let qkv: Vec<f32> = numbers(batch * tokens * 3 * d, 17).iter().map(|v| v * 4.0).collect();
        let shape = attention::Heads { batch, tokens, heads, head_dim, queries };
        let got = attention::attend(&qkv, shape);
        assert_eq!(got.len(), batch * queries * d);
        let at = |image: usize, token: usize, which: usize, head: usize, c: usize| {
            qkv[(image * tokens + token) * 3 * d + which * d + head * head_dim + c] as f64
        };
        let mut worst = 0f64;
        for image in 0..batch {
            for head in 0..heads {
                for i in 0..queries {
                    let scores: Vec<f64> = (0..tokens)
                        .map(|j| (0..head_dim).map(|c| at(image, i, 0, head, c) * at(image, j, 1, head, c)).sum())
                        .collect();
                    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let weights: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
                    let total: f64 = weights.iter().sum();
                    for c in 0..head_dim {
                        let want = (0..tokens).map(|j| weights[j] * at(image, j, 2, head, c)).sum::<f64>() / total;
                        let g = got[(image * queries + i) * d + head * head_dim + c] as f64;
                        worst = worst.max((want - g).abs());
                    }
                }
            }
        }
        assert!(worst <= 1e-5, "{queries} queries: max abs difference {worst}");
    }
}
