//! `ips run input.csv --out report/`: the same pipeline as the server, headless, with a progress
//! bar, writing `ads.csv`, `videos.csv`, `creators.csv` and `faces/` into the output folder.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, bail};
use indicatif::{ProgressBar, ProgressStyle};
use ips_core::pipeline::{self, CancelFlag, Context, Outcome, SharedQueue, runs};

use crate::config::Config;

/// Runs the pipeline on `input`; returns an error only when the run itself failed (a file that
/// cannot be read, a stage that broke), not when some rows did.
pub fn run(config: &Config, input: &Path, out: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(input).with_context(|| format!("reading {}", input.display()))?;
    let store = config.open_store()?;
    let name = input.file_name().map_or_else(|| "input.csv".to_string(), |n| n.to_string_lossy().to_string());
    let file = runs::Import { name: &name, bytes: &bytes, columns: &Default::default(), is_demo: false };
    let imported = runs::import(&store, &file).with_context(|| format!("in {}", input.display()))?;
    let sheet = imported.sheet;
    for rejected in &sheet.rejected {
        for p in &rejected.problems {
            eprintln!("row {} ({}): {}", p.row, p.field, p.message);
        }
    }
    let Some(run) = imported.run else {
        bail!("no row of {} can be analysed (every row was rejected; see above)", input.display());
    };

    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg:>10} [{bar:40}] {pos}/{len} {elapsed_precise}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let shared = config.shared()?;
    let outcome = std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            let ctx = Context {
                store: &store,
                data_dir: config.data_dir.clone(),
                models_dir: config.models_dir.clone(),
                settings: config.pipeline_settings(),
                shared_queue: shared.as_ref().map(|shared| SharedQueue {
                    queue: shared.queue.as_ref(),
                    embedded_worker: shared.embedded_worker,
                    settings: shared.settings,
                    media: shared.media.as_deref(),
                }),
            };
            pipeline::execute(&ctx, run, &CancelFlag::new())
        });
        while !worker.is_finished() {
            if let Ok(r) = store.run(run) {
                bar.set_message(r.stage.unwrap_or_default());
                bar.set_length(r.total);
                bar.set_position(r.done);
            }
            std::thread::sleep(Duration::from_millis(150));
        }
        worker.join().map_err(|_| anyhow::anyhow!("the pipeline panicked"))
    })?;
    bar.finish_and_clear();
    match outcome {
        Ok(Outcome::Succeeded) => {}
        Ok(Outcome::Cancelled) => bail!("the run was cancelled"),
        Err(e) => bail!("the run failed: {e}"),
    }
    let written = ips_core::export::write_report(&store, run, &config.data_dir, out)?;
    let failed = store.row_outcomes(run)?.iter().filter(|o| o.status.is_problem()).count();
    println!(
        "{} rows ({} rejected, {} without video), {} unique videos, {} creator rows → {}",
        written.ads,
        sheet.rejected.len(),
        failed,
        written.videos,
        written.creators,
        out.display()
    );
    Ok(())
}
