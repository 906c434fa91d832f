//! Scores a saved corpus run against the committed labels, over the whole corpus and each half:
//!
//!     IPS_KEEP_FACES=/tmp/run cargo test -p ips-core --features test-support --test corpus
//!     cargo run -p ips-core --example score_corpus -- /tmp/run
//!
//! (the directory holds the run's `ips.sqlite3`). For looking at a change by hand; the figures
//! the README quotes come from `make bench` and the corpus test.

use ips_core::pipeline::PipelineSettings;
use ips_core::quality::Half;
use ips_core::quality::corpus::{AnalysedCorpus, CorpusLabels};
use ips_core::store::Store;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: score_corpus <data dir of a corpus run>")?;
    let corpus = ips_core::testing::corpus_dir().ok_or("the replay corpus is missing")?;
    let store = Store::open(std::path::Path::new(&dir))?;
    let run = *store.runs_with_status(&[ips_core::store::RunStatus::Succeeded])?.last().ok_or("no finished run in that store")?;
    let analysed = AnalysedCorpus::load(&store, run, &corpus)?;
    let labels = CorpusLabels::load()?;
    let settings = ips_core::pipeline::run_settings(&store, run)?.unwrap_or_else(PipelineSettings::default);
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
    for (name, half) in [("whole", None), ("tuning half", Some(Half::Tuning)), ("held-out half", Some(Half::HeldOut))] {
        let grouping = analysed.group(half, &settings);
        let scores = analysed.score(&grouping, &labels);
        println!("== {name}: {} unique videos, {} creators", scores.unique_videos, grouping.creators.len());
        println!("same ad: {}", scores.same_ad);
        println!("{}", scores.creators);
    }
    Ok(())
}
