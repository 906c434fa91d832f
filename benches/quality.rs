//! Benchmark: how right the grouping is on the labelled replay corpus, and how its thresholds
//! were chosen. `make bench` (release build).
//!
//! 1. The corpus is run once into `$CARGO_TARGET_DIR/ips-quality-corpus` (analyses are kept
//!    there, so a second bench run only groups).
//! 2. Creators: a grid of the creator settings is grouped over the **tuning half** only (files
//!    with an even number); the best setting there — no wrong "same creator" said about video
//!    pairs, then the best pairwise F1 over face tracks, then the fewest table rows that are not
//!    one person — is reported beside the defaults, on the tuning half, the held-out half and the
//!    whole corpus.
//! 3. Same ad: the same for the keypoint settings of video grouping.
//!
//! Prints tables; asserts nothing (the corpus test asserts the floors).

use std::time::Instant;

use ips_core::creators::CreatorSettings;
use ips_core::grouping::{self, GroupingRules};
use ips_core::ingest::parse_sheet;
use ips_core::pipeline::{self, CancelFlag, Context, PipelineSettings};
use ips_core::quality::corpus::{AnalysedCorpus, CorpusLabels, Scores};
use ips_core::quality::{Half, PairScore};
use ips_core::store::{NewDataset, RunStatus, Store};
use ips_core::testing::{CorpusServer, require_corpus};

fn corpus_run() -> (Store, i64, std::path::PathBuf) {
    let dir = require_corpus().expect("the replay corpus");
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| "target".into(), std::path::PathBuf::from);
    let data = target.join("ips-quality-corpus");
    std::fs::create_dir_all(&data).expect("data dir");
    let store = Store::open(&data).expect("store");
    let runtime = tokio::runtime::Runtime::new().expect("tokio");
    let server = runtime.block_on(CorpusServer::start(&dir)).expect("corpus server");
    let csv = server.rewritten_assignment_csv().expect("csv");
    let sheet = parse_sheet(csv.as_bytes()).expect("corpus parses");
    let new = NewDataset { name: "assignment.csv", sha256: "quality", size_bytes: csv.len() as u64, is_demo: false };
    let dataset = store.insert_dataset(&new, &sheet).expect("dataset");
    let run = store.create_run(dataset).expect("run");
    let mut settings = PipelineSettings::default();
    settings.fetch.allow_hosts = vec!["127.0.0.1".into()];
    let models_dir = ips_core::testing::models_dir();
    let ctx = Context { store: &store, data_dir: data.clone(), models_dir, settings, shared_queue: None };
    let started = Instant::now();
    let _guard = runtime.enter();
    pipeline::execute(&ctx, run, &CancelFlag::new()).expect("the corpus run succeeds");
    assert_eq!(store.run(run).expect("run").status, RunStatus::Succeeded);
    println!("corpus run (analyses cached from earlier bench runs): {:.1} s", started.elapsed().as_secs_f64());
    (store, run, dir)
}

fn pr(s: &PairScore) -> String {
    format!("{:.2} / {:.2} ({}/{}/{})", s.precision(), s.recall(), s.true_positives, s.predicted, s.actual)
}

fn row(name: &str, s: &Scores) {
    let c = &s.creators;
    println!(
        "| {name} | {} | {} of {} | {} | {} | {} | {} of {} | {}/{} | {} | {} |",
        pr(&c.videos),
        c.questions,
        c.questions_one_person,
        pr(&c.videos_after_answers),
        pr(&c.tracks),
        pr(&s.same_ad),
        c.rows_not_one_person,
        c.rows,
        c.prints_kept_out.0,
        c.prints_kept_out.1,
        c.rows_mixing_people,
        s.unique_videos
    );
}

fn header() {
    println!(
        "| grouping | video pairs sharing a creator: precision / recall | Same person? questions, of them one person | video pairs once they are answered | track pairs | same ad | rows not one person | prints kept out | rows mixing people | unique videos |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
}

/// Orders settings by how they do on the tuning half: no wrong creator pair first, then track F1,
/// then fewer rows that are not one person.
fn creator_rank(s: &Scores) -> (bool, i64, i64) {
    let c = &s.creators;
    (c.videos.precision() >= 0.999, (c.tracks.f1() * 1000.0) as i64, -(c.rows_not_one_person as i64))
}

fn same_ad_rank(s: &Scores) -> (bool, i64) {
    (s.same_ad.precision() >= 0.999, (s.same_ad.f1() * 1000.0) as i64)
}

/// Over the person tracks of `half` that `settings` cluster (by their good detections' mean),
/// the largest distance between two tracks of one labelled person and the smallest between two
/// people.
fn person_distances(
    analysed: &AnalysedCorpus,
    labels: &CorpusLabels,
    half: Half,
    settings: &CreatorSettings,
) -> (f32, f32) {
    let mut points: Vec<(String, Vec<f32>)> = Vec::new();
    for (sha, facts) in &analysed.facts {
        let Some(name) = analysed.names.get(sha).filter(|n| Half::of(n) == Some(half)) else { continue };
        for t in &facts.tracks {
            let a = ips_core::creators::assess(t, settings, false);
            let (true, Some(d)) = (a.role.is_person(), a.descriptor) else { continue };
            if let Some(person) = labels.faces.label_of_track(name, t).and_then(|l| l.person().map(str::to_string)) {
                points.push((person, d));
            }
        }
    }
    let (mut same, mut different) = (0f32, f32::MAX);
    for i in 0..points.len() {
        for j in i + 1..points.len() {
            let d = ips_core::faceapi::recognition::distance(&points[i].1, &points[j].1);
            if points[i].0 == points[j].0 { same = same.max(d) } else { different = different.min(d) }
        }
    }
    (same, different)
}

fn main() {
    let (store, run, dir) = corpus_run();
    let analysed = AnalysedCorpus::load(&store, run, &dir).expect("facts");
    let labels = CorpusLabels::load().expect("labels");
    let defaults = pipeline::run_settings(&store, run).expect("settings").expect("settings");
    let halves = [("tuning half", Some(Half::Tuning)), ("held-out half", Some(Half::HeldOut)), ("whole corpus", None)];

    // Video grouping once per half; creators regrouped over it for every setting.
    let videos: Vec<_> = halves.iter().map(|(_, h)| analysed.group(*h, &defaults)).collect();
    let creators_with = |k: usize, settings: &CreatorSettings| {
        let rules = GroupingRules { similarity: &defaults.similarity, creators: settings, edits: &[] };
        let g =
            grouping::regroup_creators(&analysed.ads_in(halves[k].1), &analysed.facts, videos[k].videos.clone(), rules);
        analysed.score(&g, &labels)
    };
    // The cut itself: the tuning half's person tracks that the other settings let through, how
    // far apart one person's are at most and different people's at least. The default cut is
    // the former rounded up to the grid's step: precision first, the rest goes to the question
    // queue.
    let (same_max, different_min) = person_distances(&analysed, &labels, Half::Tuning, &defaults.creators);
    println!(
        "\ntuning half, clusterable person tracks: one person's at most {same_max:.3} apart, different people's at least {different_min:.3}"
    );
    let started = Instant::now();
    let mut grid = Vec::new();
    for max_distance in [0.35, 0.4, 0.45, 0.5] {
        for min_good_frames in [1, 2, 3] {
            for min_frontalness in [0.4, 0.5, 0.6] {
                for still_max_change in [0.05, 0.09, 0.13] {
                    for max_landmark_jitter in [0.2, 0.3, 0.5] {
                        let s = CreatorSettings {
                            max_distance,
                            min_good_frames,
                            min_frontalness,
                            still_max_change,
                            max_landmark_jitter,
                            ..defaults.creators.clone()
                        };
                        let score = creators_with(0, &s);
                        grid.push((creator_rank(&score), s));
                    }
                }
            }
        }
    }
    grid.sort_by(|a, b| b.0.cmp(&a.0));
    let best = grid[0].1.clone();
    println!(
        "\n## Creators: {} settings tried on the tuning half in {:.1} s",
        grid.len(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "best there: max_distance {}, min_good_frames {}, min_frontalness {}, still_max_change {}, max_landmark_jitter {}",
        best.max_distance, best.min_good_frames, best.min_frontalness, best.still_max_change, best.max_landmark_jitter
    );
    println!(
        "defaults:   max_distance {}, min_good_frames {}, min_frontalness {}, still_max_change {}, max_landmark_jitter {}",
        defaults.creators.max_distance,
        defaults.creators.min_good_frames,
        defaults.creators.min_frontalness,
        defaults.creators.still_max_change,
        defaults.creators.max_landmark_jitter
    );
    header();
    for (k, (name, _)) in halves.iter().enumerate() {
        row(&format!("defaults, {name}"), &creators_with(k, &defaults.creators));
    }
    for (k, (name, _)) in halves.iter().enumerate() {
        row(&format!("best on tuning, {name}"), &creators_with(k, &best));
    }

    // The question band: how many questions each upper bound asks, and how right the table is
    // once they are answered.
    println!("\n## Same person? questions by ask_max_distance (the other settings the defaults)");
    println!("| ask_max_distance | half | questions | of them one person | video pairs once answered |");
    println!("|---|---|---|---|---|");
    for ask_max_distance in [0.45, 0.5, 0.55, 0.6] {
        let s = CreatorSettings { ask_max_distance, ..defaults.creators.clone() };
        for (k, (name, _)) in halves.iter().enumerate() {
            let c = creators_with(k, &s).creators;
            println!(
                "| {ask_max_distance} | {name} | {} | {} | {} |",
                c.questions,
                c.questions_one_person,
                pr(&c.videos_after_answers)
            );
        }
    }

    // Same ad: the keypoint settings.
    let started = Instant::now();
    let mut tried = Vec::new();
    for squeezed in [false, true] {
        for screen_points in [150, 300] {
            for min_pair_inliers in [3, 4, 6] {
                for guided_radius in [0.0, 6.0, 10.0, 14.0] {
                    for guided_max_hamming in [64, 80, 96] {
                        let mut s = defaults.clone();
                        s.similarity.keypoints.squeezed = squeezed;
                        s.similarity.keypoints.screen_points = screen_points;
                        let verify = &mut s.similarity.keypoints.verify;
                        verify.min_pair_inliers = min_pair_inliers;
                        verify.guided_radius = guided_radius;
                        verify.guided_max_hamming = guided_max_hamming;
                        let score = analysed.score(&analysed.group(Some(Half::Tuning), &s), &labels);
                        tried.push((same_ad_rank(&score), s));
                    }
                }
            }
        }
    }
    tried.sort_by(|a, b| b.0.cmp(&a.0));
    let best = tried[0].1.clone();
    let describe = |s: &PipelineSettings| {
        let k = &s.similarity.keypoints;
        format!(
            "squeezed {}, screen_points {}, min_pair_inliers {}, guided_radius {}, guided_max_hamming {}",
            k.squeezed, k.screen_points, k.verify.min_pair_inliers, k.verify.guided_radius, k.verify.guided_max_hamming
        )
    };
    println!(
        "\n## Same ad: {} settings tried on the tuning half in {:.1} s",
        tried.len(),
        started.elapsed().as_secs_f64()
    );
    println!("best there: {}", describe(&best));
    println!("defaults:   {}", describe(&defaults));
    header();
    for (name, half) in halves {
        let started = Instant::now();
        let g = analysed.group(half, &defaults);
        let took = started.elapsed().as_secs_f64();
        row(&format!("defaults, {name} (grouped in {took:.1} s)"), &analysed.score(&g, &labels));
    }
    for (name, half) in halves {
        row(&format!("best on tuning, {name}"), &analysed.score(&analysed.group(half, &best), &labels));
    }
}
