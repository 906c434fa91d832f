//! Probes the keypoint matching between two corpus files of a saved run:
//!     cargo run -p ips-core --features test-support --example keypoint_probe -- /tmp/run c03 c16

use ips_core::keypoints::{FeatureIndex, VerifySettings, ratio_matches, verify};
use ips_core::quality::corpus::AnalysedCorpus;
use ips_core::store::Store;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let store = Store::open(std::path::Path::new(&args[1]))?;
    let run = *store.runs_with_status(&[ips_core::store::RunStatus::Succeeded])?.last().ok_or("no run")?;
    let analysed = AnalysedCorpus::load(&store, run, &ips_core::testing::corpus_dir().ok_or("no corpus")?)?;
    let sha = |name: &str| analysed.names.iter().find(|(_, n)| *n == name).map(|(s, _)| s.clone()).unwrap();
    let (a, b) = (&analysed.facts[&sha(&args[2])], &analysed.facts[&sha(&args[3])]);
    println!("content rects: {:?} / {:?}", a.keypoints.iter().map(|k| k.content).collect::<Vec<_>>(), b.keypoints.iter().map(|k| k.content).collect::<Vec<_>>());
    println!("frames {} / {}, keypoints per frame {:?}", a.keypoints.len(), b.keypoints.len(), a.keypoints.iter().map(|k| k.descriptors.len()).collect::<Vec<_>>());
    let shas: Vec<&String> = analysed.facts.keys().collect();
    let all: Vec<&[ips_core::keypoints::FrameFeatures]> = shas.iter().map(|s| analysed.facts[*s].keypoints.as_slice()).collect();
    let b_index = shas.iter().position(|s| **s == sha(&args[3])).unwrap() as u32;
    let index = FeatureIndex::new(&[a.keypoints.as_slice(), b.keypoints.as_slice()]);
    let big = FeatureIndex::new(&all);
    let settings = VerifySettings::default();
    for (f, frame) in a.keypoints.iter().enumerate() {
        let cands = index.candidates(0, frame, 1, 3, 1.0);
        let found = big.candidates(u32::MAX, frame, 1, 3, 0.1);
        let big_cands: Vec<String> = found.iter().filter(|(r, _)| r.0 == b_index).map(|(r, v)| format!("{}:{}", r.1, v)).collect();
        let best = (0..b.keypoints.len())
            .map(|g| (g, ratio_matches(frame, &b.keypoints[g]).len(), verify(frame, &b.keypoints[g], &settings)))
            .max_by_key(|x| x.1)
            .unwrap();
        println!("frame {f}: candidates {:?} (in the whole index: {big_cands:?} of {}); best ratio matches: frame {} with {} → {:?}", cands.iter().take(3).collect::<Vec<_>>(), found.len(), best.0, best.1, best.2);
    }
    let signals: Vec<ips_core::similarity::VideoSignals<'_>> = shas
        .iter()
        .map(|s| ips_core::similarity::VideoSignals {
            frames: &analysed.facts[*s].fingerprints,
            keypoints: &analysed.facts[*s].keypoints,
            clip: None,
        })
        .collect();
    let started = std::time::Instant::now();
    let (verified, counts) = ips_core::similarity::keypoint_matches(&signals, &Default::default());
    println!("keypoint matches: {:.2} s, {counts:?}", started.elapsed().as_secs_f64());
    let mut sizes: Vec<(usize, String, String)> = verified.iter().map(|((a, b), m)| (m.len(), analysed.names[shas[*a]].clone(), analysed.names[shas[*b]].clone())).collect();
    sizes.sort();
    sizes.reverse();
    println!("verified pairs per video pair: {:?}", sizes.iter().take(20).collect::<Vec<_>>());
    if let Ok(pair) = std::env::var("SHOW_PAIR") {
        let (x, y) = pair.split_once(',').unwrap();
        let (ix, iy) = (shas.iter().position(|s| **s == sha(x)).unwrap(), shas.iter().position(|s| **s == sha(y)).unwrap());
        let key = (ix.min(iy), ix.max(iy));
        let mut m: Vec<_> = verified.get(&key).map(|m| m.iter().collect()).unwrap_or_default();
        m.sort_by_key(|(k, _)| **k);
        for (k, t) in m.iter().take(12) {
            println!("  {k:?} {t:?}");
        }
    }
    let started = std::time::Instant::now();
    let clusters = ips_core::similarity::cluster(&signals, &Default::default());
    println!("cluster: {:.2} s, keypoint checks {:?}", started.elapsed().as_secs_f64(), clusters.keypoint_checks);
    for l in &clusters.links {
        println!("  link {} {} {:?} {} frames", analysed.names[shas[l.a]], analysed.names[shas[l.b]], l.relation, l.frames.len());
    }
    Ok(())
}
