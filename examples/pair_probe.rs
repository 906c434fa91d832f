//! One pair of corpus files of a saved run, keypoints frame by frame at offset 0:
//!     cargo run -p ips-core --features test-support --example pair_probe -- /tmp/run c18 c72

use ips_core::keypoints::{VerifySettings, ratio_matches, verify_pooled};
use ips_core::quality::corpus::AnalysedCorpus;
use ips_core::store::Store;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let store = Store::open(std::path::Path::new(&args[1]))?;
    let run = *store.runs_with_status(&[ips_core::store::RunStatus::Succeeded])?.last().ok_or("no run")?;
    let analysed = AnalysedCorpus::load(&store, run, &ips_core::testing::corpus_dir().ok_or("no corpus")?)?;
    let sha = |name: &str| analysed.names.iter().find(|(_, n)| *n == name).map(|(s, _)| s.clone()).unwrap();
    // The plain keypoints (see `score_corpus`'s IPS_PAIRS for the squeezed views too).
    let (a, b) = (&analysed.facts[&sha(&args[2])].keypoints.plain, &analysed.facts[&sha(&args[3])].keypoints.plain);
    let n = a.len().min(b.len());
    for f in 0..n {
        println!(
            "frame {f}: {} / {} keypoints, content {:?} / {:?}, ratio matches {}",
            a[f].descriptors.len(),
            b[f].descriptors.len(),
            a[f].content,
            b[f].content,
            ratio_matches(&a[f], &b[f]).len()
        );
    }
    let pairs: Vec<_> = (0..n).map(|f| (&a[f], &b[f])).collect();
    let fit = verify_pooled(&pairs, &VerifySettings::default());
    println!("pooled: {:?}", fit);
    Ok(())
}
