//! Re-posted copies of corpus ads, made here with ffmpeg the way ad accounts re-post: each must
//! be grouped with its original as one unique video, and none with another ad (among them c14:
//! the same woman, box and plaque as c07, filmed in other clips). The score per transform is
//! printed (`--nocapture`); the README's table comes from it.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use ips_core::ingest::parse_sheet;
use ips_core::pipeline::{self, CancelFlag, Context, Outcome, PipelineSettings};
use ips_core::store::{NewDataset, Store};
use ips_core::testing::require_corpus;

/// The originals, and ads they must not be joined with.
const ORIGINALS: [&str; 4] = ["c07", "c18", "c48", "c63"];
const OTHERS: [&str; 4] = ["c14", "c43", "c52", "c55"];

/// Re-post transforms as ffmpeg filters (the output stays 25 fps H.264).
const TRANSFORMS: [(&str, &str); 14] = [
    (
        "white card, 75 %, header",
        "scale=270:480,pad=360:640:45:120:white,drawbox=x=20:y=30:w=320:h=60:color=0x203040:t=fill",
    ),
    (
        "coloured card, 65 %",
        "scale=234:416,pad=360:640:63:150:0xF4C2C2,drawbox=x=20:y=40:w=200:h=40:color=black:t=fill",
    ),
    ("1:1 with black bars", "scale=270:480,pad=480:480:105:0:black"),
    ("16:9 with black bars", "scale=202:360,pad=640:360:219:0:black"),
    ("mirrored", "hflip"),
    ("zoomed 1.3×", "crop=iw/1.3:ih/1.3,scale=360:640"),
    ("zoomed 1.5×, off centre", "crop=iw/1.5:ih/1.5:iw/10:ih/4,scale=360:640"),
    ("a new 3 s end card", "tpad=stop_mode=add:stop_duration=3:color=0xFF8C00"),
    (
        "caption box over a third",
        "drawbox=x=0:y=400:w=360:h=214:color=0xFFFFFF@0.9:t=fill,drawbox=x=30:y=460:w=300:h=30:color=black:t=fill",
    ),
    ("trimmed 2 s", "trim=start=2,setpts=PTS-STARTPTS"),
    ("low bitrate, 240 px", "scale=136:240"),
    // The frame's middle square stretched to the full height (16:9 taller), as some re-posts
    // squeeze a picture into another window.
    ("stretched 16:9 taller", "crop=iw:iw,scale=360:640,setsar=1"),
    // Slanted by 12 % (x moves with y) on a white card, as an editing app's skew does.
    ("skewed 12 % on a white card", "scale=270:480,shear=shx=0.12:fillcolor=white,pad=360:640:45:80:white,setsar=1"),
    // The first 5 s on a white card, the rest zoomed 1.4×: two maps for one copy.
    (
        "carded, then zoomed from 5 s",
        "split[a][b];[a]trim=0:5,setpts=PTS-STARTPTS,scale=270:480,pad=360:640:45:80:white,setsar=1[a1];\
         [b]trim=start=5,setpts=PTS-STARTPTS,crop=iw/1.4:ih/1.4,scale=360:640,setsar=1[b1];[a1][b1]concat=n=2:v=1:a=0",
    ),
];

fn ffmpeg(input: &Path, filter: &str, extra: &[&str], output: &Path) {
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(input)
        .args(["-vf", filter, "-c:v", "libx264", "-pix_fmt", "yuv420p"])
        .args(extra)
        .arg(output)
        .status()
        .expect("ffmpeg runs (tools/setup.sh installs it)");
    assert!(status.success(), "ffmpeg {filter} failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_posted_copies_are_one_video_with_their_original() {
    let Some(corpus) = require_corpus() else { return };
    let work = tempfile::tempdir().unwrap();
    let videos = work.path().join("videos");
    std::fs::create_dir_all(&videos).unwrap();
    let mut csv = String::from("Performance,Video URL\n");
    let mut transform_of: HashMap<String, (&str, &str)> = HashMap::new();
    for name in ORIGINALS.iter().chain(&OTHERS) {
        std::fs::copy(corpus.join(format!("videos/{name}.mp4")), videos.join(format!("{name}.mp4"))).unwrap();
        csv.push_str(&format!("1.0,file://{}\n", videos.join(format!("{name}.mp4")).display()));
    }
    for original in ORIGINALS {
        for (k, (what, filter)) in TRANSFORMS.iter().enumerate() {
            let file = format!("{original}-t{k}.mp4");
            let extra: &[&str] = if what.starts_with("low bitrate") { &["-b:v", "60k"] } else { &["-crf", "23"] };
            ffmpeg(&corpus.join(format!("videos/{original}.mp4")), filter, extra, &videos.join(&file));
            csv.push_str(&format!("1.0,file://{}\n", videos.join(&file).display()));
            transform_of.insert(file.clone(), (original, what));
        }
    }

    let data = work.path().join("data");
    let dir = videos.clone();
    let (store, run) = tokio::task::spawn_blocking(move || {
        let store = Store::open(&data).unwrap();
        let sheet = parse_sheet(csv.as_bytes()).unwrap();
        let new = NewDataset { name: "reposts.csv", sha256: "reposts", size_bytes: 0, is_demo: false };
        let run = store.create_run(store.insert_dataset(&new, &sheet).unwrap()).unwrap();
        let mut settings = PipelineSettings::default();
        settings.fetch.local_dir = Some(dir);
        // Faces play no part here: the quick detector.
        settings.faces.detector = ips_core::faces::DetectorKind::Haar;
        let ctx = Context {
            store: &store,
            data_dir: data,
            models_dir: ips_core::testing::models_dir(),
            settings,
            shared_queue: None,
        };
        assert_eq!(pipeline::execute(&ctx, run, &CancelFlag::new()).unwrap(), Outcome::Succeeded);
        (store, run)
    })
    .await
    .unwrap();

    let grouping = store.grouping(run).unwrap();
    if let Some(keep) = std::env::var_os("IPS_KEEP_REPOSTS") {
        store.snapshot_to(&std::path::Path::new(&keep).join("ips.sqlite3")).unwrap();
    }
    let rows = store.accepted_rows(store.run(run).unwrap().dataset_id).unwrap();
    let video_of = |file: &str| {
        let row = rows.iter().find(|r| r.video_url.ends_with(&format!("/{file}"))).unwrap().row;
        grouping.video_of_row[&row]
    };
    let mut failed = Vec::new();
    for (what, _) in TRANSFORMS {
        let matched: Vec<&str> = ORIGINALS
            .iter()
            .copied()
            .filter(|o| {
                let (file, _) = transform_of.iter().find(|(_, (orig, w))| orig == o && *w == what).unwrap();
                video_of(file) == video_of(&format!("{o}.mp4"))
            })
            .collect();
        let missed: Vec<&str> = ORIGINALS.iter().copied().filter(|o| !matched.contains(o)).collect();
        eprintln!("{what}: {} of {} matched their original (missed: {missed:?})", matched.len(), ORIGINALS.len());
        if matched.len() < ORIGINALS.len() {
            failed.push(what);
        }
    }
    // No ad is joined with another.
    let originals: Vec<u32> = ORIGINALS.iter().chain(&OTHERS).map(|o| video_of(&format!("{o}.mp4"))).collect();
    let mut distinct = originals.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), originals.len(), "two different ads were joined: {originals:?}");
    assert!(failed.is_empty(), "not matched with their original: {failed:?}");
}
