//! CLIP ViT-B/32 image-tower throughput in candle, batch 32, on random weights of the real
//! shape (the real weights cannot be had here; speed does not depend on their values): IPS's
//! tower (`ips_core::clip::tower`) in f32 and, where the CPU has AVX-512 BF16, in bf16 (with
//! the cosine of its embeddings to f32's, asserted ≥ 0.999), and, with `CLIP_PLAIN`,
//! candle-transformers' plain one. Prints images per second; `bench/clip_speed.sh` runs it
//! beside the PyTorch references.

use std::time::Instant;

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::clip::vision_model::{ClipVisionConfig, ClipVisionTransformer};
use ips_core::clip::bf16;
use ips_core::clip::tower::{ImageTower, Precision};

fn main() -> candle_core::Result<()> {
    let batch: usize = std::env::var("CLIP_BATCH").ok().and_then(|b| b.parse().ok()).unwrap_or(32);
    let rounds: usize = std::env::var("CLIP_ROUNDS").ok().and_then(|b| b.parse().ok()).unwrap_or(3);
    let device = Device::Cpu;
    let varmap = VarMap::new();
    let random = VarBuilder::from_varmap(&varmap, DType::F32, &device);
    let config = ClipVisionConfig::vit_base_patch32();
    random.pp("vision_model.embeddings").get_with_hints(
        768,
        "class_embedding",
        candle_nn::Init::Randn { mean: 0.0, stdev: 0.02 },
    )?;
    ClipVisionTransformer::new(random.pp("vision_model"), &config)?;
    candle_nn::linear_no_bias(768, 512, random.pp("visual_projection"))?;
    // A VarMap's variables are trainable and would keep a graph per pass: build the model again
    // from detached copies, as loading a checkpoint would.
    let weights: std::collections::HashMap<String, Tensor> = varmap
        .data()
        .lock()
        .map_err(|_| candle_core::Error::Msg("poisoned".into()))?
        .iter()
        .map(|(name, var)| (name.clone(), var.as_tensor().detach()))
        .collect();
    let vb = VarBuilder::from_tensors(weights, DType::F32, &device);
    let projection = candle_nn::linear_no_bias(768, 512, vb.pp("visual_projection"))?;
    let pixels = Tensor::randn(0f32, 1f32, (batch, 3, 224, 224), &device)?;
    let ours = ImageTower::load(vb.pp("vision_model"), &config, Precision::F32)?;
    // `CLIP_ONLY_BF16=1` skips timing f32 (for profiling the bf16 path).
    if std::env::var_os("CLIP_ONLY_BF16").is_none() {
        let rate = images_per_second(&ours, &projection, &pixels, rounds)?;
        println!("candle f32 batch {batch}: {rate:.1} images/s (median of {rounds}; IPS's tower)");
    }
    if bf16::available() {
        let half = ImageTower::load(vb.pp("vision_model"), &config, Precision::Bf16)?;
        let rate = images_per_second(&half, &projection, &pixels, rounds)?;
        let f32_embeds: Vec<Vec<f32>> = projection.forward(&ours.forward(&pixels)?)?.to_vec2()?;
        let bf16_embeds: Vec<Vec<f32>> = projection.forward(&half.forward(&pixels)?)?.to_vec2()?;
        let worst = f32_embeds.iter().zip(&bf16_embeds).map(|(a, b)| cosine(a, b)).fold(1.0, f32::min);
        println!(
            "candle bf16 batch {batch}: {rate:.1} images/s (median of {rounds}; IPS's tower), lowest cosine to f32 {worst:.5}"
        );
        assert!(worst >= 0.999, "bf16 embeddings drifted from f32: cosine {worst}");
        kernel_speed()?;
    } else {
        println!("candle bf16: this CPU has no AVX-512 BF16");
    }
    if std::env::var_os("CLIP_PLAIN").is_some() {
        let plain = ClipVisionTransformer::new(vb.pp("vision_model"), &config)?;
        let rate = images_per_second(&plain, &projection, &pixels, rounds)?;
        println!("candle f32 batch {batch}: {rate:.1} images/s (median of {rounds}; candle-transformers' tower)");
    }
    Ok(())
}

/// The bf16 kernel alone on the tower's four dense shapes (batch 32: 1,600 rows), GFLOP/s.
fn kernel_speed() -> candle_core::Result<()> {
    for (inputs, outputs) in [(768, 2304), (768, 768), (768, 3072), (3072, 768)] {
        let rows = 1600;
        let x = Tensor::randn(0f32, 1f32, rows * inputs, &Device::Cpu)?.to_vec1::<f32>()?;
        let w = Tensor::randn(0f32, 0.02f32, inputs * outputs, &Device::Cpu)?.to_vec1::<f32>()?;
        let packed = bf16::PackedWeight::pack(&w, inputs, outputs);
        let _warm = packed.matmul(&x, rows, None, bf16::Activation::None);
        let mut rates: Vec<f64> = (0..5)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(packed.matmul(&x, rows, None, bf16::Activation::None));
                2.0 * (rows * inputs * outputs) as f64 / start.elapsed().as_secs_f64() / 1e9
            })
            .collect();
        rates.sort_by(f64::total_cmp);
        println!("bf16 kernel {rows}×{inputs}×{outputs}: {:.0} GFLOP/s (median of 5)", rates[2]);
    }
    Ok(())
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    dot / (a.iter().map(|x| x * x).sum::<f32>().sqrt() * b.iter().map(|x| x * x).sum::<f32>().sqrt())
}

fn images_per_second(
    tower: &impl Module,
    projection: &candle_nn::Linear,
    pixels: &Tensor,
    rounds: usize,
) -> candle_core::Result<f64> {
    let _warm = projection.forward(&tower.forward(pixels)?)?;
    let mut rates = Vec::new();
    for _ in 0..rounds {
        let start = Instant::now();
        let out = projection.forward(&tower.forward(pixels)?)?;
        let _ = out.to_vec2::<f32>()?;
        rates.push(pixels.dim(0)? as f64 / start.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    Ok(rates[rates.len() / 2])
}
