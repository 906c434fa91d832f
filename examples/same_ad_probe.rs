//! For every labelled same-ad pair of a saved corpus run: how far its fingerprints align, how
//! many candidate frame pairs the keypoint index names, and what a pooled keypoint fit along the
//! best offset gives.
//!     cargo run -p ips-core --features test-support --example same_ad_probe -- /tmp/run

use std::collections::HashMap;

use ips_core::keypoints::{VerifySettings, verify_pooled};
use ips_core::quality::corpus::AnalysedCorpus;
use ips_core::store::Store;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: same_ad_probe <data dir>")?;
    let store = Store::open(std::path::Path::new(&dir))?;
    let run = *store.runs_with_status(&[ips_core::store::RunStatus::Succeeded])?.last().ok_or("no run")?;
    let analysed = AnalysedCorpus::load(&store, run, &ips_core::testing::corpus_dir().ok_or("no corpus")?)?;
    let labels = ips_core::quality::corpus::CorpusLabels::load()?;
    let shas: Vec<&String> = analysed.facts.keys().collect();
    let index_of: HashMap<&str, usize> =
        shas.iter().enumerate().map(|(i, s)| (analysed.names[*s].as_str(), i)).collect();
    let settings = ips_core::similarity::SimilaritySettings::default();
    let names: Vec<&str> = index_of.keys().copied().collect();
    for a in &names {
        for b in &names {
            if a >= b || !labels.same_ad.same_ad(a, b) {
                continue;
            }
            let (ia, ib) = (index_of[a], index_of[b]);
            let (fa, fb) = (&analysed.facts[shas[ia]], &analysed.facts[shas[ib]]);
            let shared = ips_core::align::align(&fa.fingerprints, &fb.fingerprints, settings.frame_max_distance);
            let share =
                shared.map_or(0.0, |s| s.matched as f64 / fa.fingerprints.len().min(fb.fingerprints.len()) as f64);
            let signals = [fa, fb].map(|f| ips_core::similarity::VideoSignals {
                frames: &f.fingerprints,
                keypoints: &f.keypoints.plain,
                squeezed: &f.keypoints.squeezed,
                clip: None,
            });
            let (verified, _) = ips_core::similarity::keypoint_matches(&signals, &settings.keypoints);
            let screened = verified.values().next().map_or(0, |m| m.len());
            let clusters = ips_core::similarity::cluster(&signals, &settings);
            let relation = clusters.links.first().map(|l| {
                format!(
                    "{:?} with {} frames matched of {}/{}",
                    l.relation,
                    l.frames.len(),
                    fa.fingerprints.len(),
                    fb.fingerprints.len()
                )
            });
            let best = 0i64;
            let pairs: Vec<_> = (0..fa.keypoints.plain.len())
                .filter_map(|f| {
                    let g = f as i64 + best;
                    (g >= 0 && (g as usize) < fb.keypoints.plain.len())
                        .then(|| (&fa.keypoints.plain[f], &fb.keypoints.plain[g as usize]))
                })
                .collect();
            let pooled = verify_pooled(&pairs, &VerifySettings::default());
            let agreeing = pooled.as_ref().map(|(_, n)| n.iter().filter(|&&k| k >= 4).count());
            println!(
                "{a}-{b}: {relation:?}; fingerprint share {share:.2}; screened and verified frame pairs {screened}; pooled at offset 0: {:?} → {:?} of {} frame pairs agree",
                pooled.as_ref().map(|(t, _)| (t.scale_x, t.scale_y, t.inliers)),
                agreeing,
                pairs.len()
            );
        }
    }
    Ok(())
}
