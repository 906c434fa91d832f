//! The demo dataset on first start: when the store has no dataset yet, IPS makes its demo clips
//! (from the face-api sample photos in `models/`), serves them itself under `/demo/videos/`, and
//! loads a demo spreadsheet pointing at them, labelled as demo data, with a run started.

use std::sync::Arc;

use anyhow::Context as _;
use ips_app::ssr::JobControl;
use ips_core::demo;
use ips_core::pipeline::runs;
use ips_core::store::{DatasetId, Store};

use crate::config::Config;

/// The demo's folder inside the data directory, served at `/demo`.
pub const DEMO_DIR: &str = "demo";

/// Loads the demo if enabled and the store is empty. Returns the new dataset, if any.
pub async fn load_if_empty(
    config: &Config,
    store: Arc<Store>,
    jobs: Arc<dyn JobControl>,
) -> anyhow::Result<Option<DatasetId>> {
    if !config.demo || !store.list_datasets()?.is_empty() {
        return Ok(None);
    }
    let photos = config.models_dir.join("face-api/demo");
    if !photos.is_dir() {
        tracing::warn!("no demo: {} is missing (run `make models`)", photos.display());
        return Ok(None);
    }
    let out = config.data_dir.join(DEMO_DIR);
    let base_url = format!("http://{}/demo", crate::config::loopback_addr(config.addr));
    let models_dir = config.models_dir.clone();
    let (dataset, run) = tokio::task::spawn_blocking(move || -> anyhow::Result<(DatasetId, i64)> {
        let clips = demo::make_clips(&photos, &out.join("videos"), &models_dir).context("making the demo clips")?;
        let csv = demo::demo_csv(&clips, &base_url);
        std::fs::write(out.join("demo.csv"), &csv).context("writing demo.csv")?;
        let file = runs::Import {
            name: "Demo: sample creators",
            bytes: csv.as_bytes(),
            columns: &Default::default(),
            is_demo: true,
        };
        let imported = runs::import(&store, &file)?;
        Ok((imported.dataset, imported.run.context("the demo sheet has no usable row")?))
    })
    .await??;
    jobs.submit(run);
    tracing::info!(dataset, run, "demo dataset loaded");
    Ok(Some(dataset))
}
