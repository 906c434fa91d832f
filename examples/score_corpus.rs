//! Scores a saved corpus run against the committed labels, over the whole corpus and each half:
//!
//!     IPS_KEEP_FACES=/tmp/run cargo test -p ips-core --features test-support --test corpus
//!     cargo run -p ips-core --example score_corpus -- /tmp/run
//!
//! (the directory holds the run's `ips.sqlite3`). For looking at a change by hand; the figures
//! the README quotes come from `make bench` and the corpus test. Settings can be overridden
//! for the grouping (not the analysis): `IPS_SET='creators.max_distance=0.35 similarity.keypoints.screen_min_inliers=10'`.

use ips_core::pipeline::PipelineSettings;
use ips_core::quality::Half;
use ips_core::quality::corpus::{AnalysedCorpus, CorpusLabels};
use ips_core::store::Store;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: score_corpus <data dir of a corpus run>")?;
    let corpus = ips_core::testing::corpus_dir().ok_or("the replay corpus is missing")?;
    let store = Store::open(std::path::Path::new(&dir))?;
    let run = *store
        .runs_with_status(&[ips_core::store::RunStatus::Succeeded])?
        .last()
        .ok_or("no finished run in that store")?;
    let analysed = AnalysedCorpus::load(&store, run, &corpus)?;
    let labels = CorpusLabels::load()?;
    let settings = ips_core::testing::with_overrides(
        ips_core::pipeline::run_settings(&store, run)?.unwrap_or_else(PipelineSettings::default),
    )?;
    if let Some(path) = std::env::args().nth(2) {
        // Every track with its label, for studying the measures by hand.
        let mut out = Vec::new();
        for (sha, facts) in &analysed.facts {
            let Some(file) = analysed.names.get(sha) else { continue };
            for t in &facts.tracks {
                let label = labels.faces.label_of_track(file, t).map(|l| match l {
                    ips_core::quality::labels::FaceLabel::Person(id) => id,
                    ips_core::quality::labels::FaceLabel::Print => "print".into(),
                    ips_core::quality::labels::FaceLabel::Incidental => "incidental".into(),
                });
                out.push(serde_json::json!({ "file": file, "sha": sha, "label": label, "track": t }));
            }
        }
        std::fs::write(&path, serde_json::to_string(&out)?)?;
        println!("wrote {} tracks to {path}", out.len());
    }
    if let Ok(pairs) = std::env::var("IPS_PAIRS") {
        // `IPS_PAIRS='c18:c72 c67:c74'`: how each pair fares, alone, with these settings.
        let sha_of = |name: &str| analysed.names.iter().find(|(_, n)| n.as_str() == name).map(|(s, _)| s.clone());
        for pair in pairs.split_whitespace() {
            let (a, b) = pair.split_once(':').ok_or("IPS_PAIRS: a:b pairs")?;
            let (Some(sa), Some(sb)) = (sha_of(a), sha_of(b)) else { return Err(format!("no file {pair}").into()) };
            let signals: Vec<_> = [&sa, &sb]
                .iter()
                .map(|s| ips_core::similarity::VideoSignals {
                    frames: &analysed.facts[*s].fingerprints,
                    keypoints: &analysed.facts[*s].keypoints.plain,
                    squeezed: &analysed.facts[*s].keypoints.squeezed,
                    clip: None,
                })
                .collect();
            let (verified, checks) = ips_core::similarity::keypoint_matches(&signals, &settings.similarity.keypoints);
            let matched = verified.values().map(|m| m.len()).sum::<usize>();
            let clusters = ips_core::similarity::cluster(&signals, &settings.similarity);
            let relation = clusters.links.first().map(|l| format!("{:?}", l.relation)).unwrap_or("different".into());
            if std::env::var_os("IPS_SHOW").is_some() {
                let mut found: Vec<_> = verified.values().flat_map(|m| m.iter()).collect();
                found.sort_by_key(|(k, _)| **k);
                for ((f, g), t) in found {
                    println!(
                        "  {f}->{g}: scale {:.2} x {:.2}, shift {:.0},{:.0}, {} agree",
                        t.scale_x, t.scale_y, t.shift_x, t.shift_y, t.inliers
                    );
                }
                for (name, v) in [(a, &signals[0]), (b, &signals[1])] {
                    let rects: Vec<String> =
                        v.keypoints.iter().map(|k| format!("{:?}:{}", k.content, k.points.len())).collect();
                    println!("  {name} content: {}", rects.join(" "));
                }
                let loose = ips_core::keypoints::VerifySettings {
                    min_inliers: 4,
                    min_inlier_share: 0.0,
                    min_cover: 0.0,
                    ..settings.similarity.keypoints.verify
                };
                let (s0, s1) = (&signals[0], &signals[1]);
                for (view, ka, kb) in [
                    ("plain", s0.keypoints, s1.keypoints),
                    ("a squeezed", s0.squeezed, s1.keypoints),
                    ("b squeezed", s0.keypoints, s1.squeezed),
                ] {
                    for f in (0..ka.len().min(kb.len())).step_by(3) {
                        let matches = ips_core::keypoints::ratio_matches(&ka[f], &kb[f]).len();
                        let t = ips_core::keypoints::verify(&ka[f], &kb[f], &loose);
                        println!("  {view}, frame {f}: {matches} ratio matches, loose fit {t:?}");
                    }
                }
                let (fa, fb) = (signals[0].frames, signals[1].frames);
                let row = |f: usize| {
                    (0..fb.len()).map(|g| format!("{:>3}", (fa[f].distance(&fb[g]) * 100.0) as u32)).collect::<String>()
                };
                for f in 0..fa.len() {
                    println!("  fp {f:>2}:{}", row(f));
                }
            }
            println!(
                "{pair}: {} and {} frames; keypoint frame pairs checked {}, matched {matched}; {relation}",
                signals[0].frames.len(),
                signals[1].frames.len(),
                checks.0
            );
        }
        return Ok(());
    }
    for (name, half) in [("whole", None), ("tuning half", Some(Half::Tuning)), ("held-out half", Some(Half::HeldOut))] {
        let started = std::time::Instant::now();
        let grouping = analysed.group(half, &settings);
        let took = started.elapsed().as_secs_f64();
        let scores = analysed.score(&grouping, &labels);
        println!(
            "== {name}: {} unique videos, {} creators ({took:.2} s)",
            scores.unique_videos,
            grouping.creators.len()
        );
        if std::env::var_os("IPS_SHOW").is_some() && half.is_none() {
            for v in grouping.videos.iter().filter(|v| v.sha256s.len() > 1) {
                let files: Vec<&str> = v.sha256s.iter().map(|s| analysed.names[s].as_str()).collect();
                println!("  video {}: {}", v.id, files.join(" "));
            }
            for c in &grouping.creators {
                let members: Vec<String> =
                    c.members.iter().map(|m| format!("{}T{}", analysed.names[&m.sha256], m.track)).collect();
                println!("  #{} {} ({:.2}): {}", c.id, c.label, c.cohesion, members.join(" "));
            }
            for q in &grouping.questions {
                println!("  same person? {} / {} ({:.2})", q.a, q.b, q.distance);
            }
        }
        println!("same ad: {}", scores.same_ad);
        println!("{}", scores.creators);
    }
    Ok(())
}
