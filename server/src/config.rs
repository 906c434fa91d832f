//! Configuration: built-in defaults, then a TOML file, then `IPS_*` environment variables, then
//! command-line flags (applied by `main`). Each later source overrides the earlier ones.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use ips_core::pipeline::PipelineSettings;
use serde::Deserialize;

/// The file read when no `--config` is given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "ips.toml";

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the database, caches and face crops live.
    pub data_dir: PathBuf,
    /// A PostgreSQL URL (`postgres://user@host/db`) puts the store there instead of SQLite in
    /// `data_dir`, for many machines (README, "Scaling out"). `IPS_DATABASE_URL`.
    pub database_url: Option<String>,
    /// With a `database_url`: where videos, face crops and stills are shared with `ips worker`s
    /// on other machines, `s3://bucket[/prefix]` (credentials and endpoint from the `AWS_*`
    /// variables) or `file:///shared/dir`; unset, every process uses `data_dir`. `IPS_MEDIA_URL`.
    pub media_url: Option<String>,
    /// With a `database_url`, this process analyses videos too (besides any `ips worker`), so a
    /// single machine on PostgreSQL needs nothing more. `IPS_EMBEDDED_WORKER`.
    pub embedded_worker: bool,
    /// With a `database_url`: how long a video taken from the queue stays hidden from other
    /// workers (renewed every third of it while the work goes on), i.e. how soon the video of a
    /// worker that died is taken by another. `IPS_QUEUE_VISIBILITY_S`.
    pub queue_visibility_s: u64,
    /// Address the web app listens on.
    pub addr: SocketAddr,
    /// The built site (wasm, JS, CSS, public files), as made by `make site` or cargo-leptos.
    pub site_root: PathBuf,
    /// Largest accepted upload, in MiB.
    pub max_upload_mib: usize,
    /// Resume runs that were going when the server stopped.
    pub resume_on_start: bool,
    /// Where `make models` put the model files (and the demo's sample photos).
    pub models_dir: PathBuf,
    /// Make and load the demo dataset when the store has no dataset yet.
    pub demo: bool,
    /// Hosts, addresses or networks (CIDR) downloads may reach although they are not public
    /// (loopback, private, link-local). Empty: public addresses only. `IPS_ALLOW_HOSTS`
    /// (comma-separated) replaces it.
    pub allow_hosts: Vec<String>,
    /// When set, everyone may read but changes (uploads, runs, corrections) need this token:
    /// signed in at `/sign-in`, or `Authorization: Bearer …`. `IPS_ACCESS_TOKEN`.
    pub access_token: Option<String>,
    /// How runs fetch, sample, detect (`[pipeline.fetch]`, `[pipeline.frames]`, `[pipeline.faces]`).
    pub pipeline: PipelineSettings,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            database_url: None,
            media_url: None,
            embedded_worker: true,
            queue_visibility_s: 60,
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            site_root: PathBuf::from("target/site"),
            max_upload_mib: 50,
            resume_on_start: true,
            models_dir: PathBuf::from("models"),
            demo: true,
            allow_hosts: Vec::new(),
            access_token: None,
            pipeline: PipelineSettings::default(),
        }
    }
}

impl Config {
    /// Loads `path` (or `ips.toml` when present and `path` is `None`), then applies environment
    /// overrides.
    pub fn load(path: Option<&Path>) -> Result<Self> {
        let mut config = match path {
            Some(path) => Self::from_file(path)?,
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => Self::from_file(Path::new(DEFAULT_CONFIG_FILE))?,
            None => Self::default(),
        };
        config.apply_env(|key| std::env::var(key).ok())?;
        config.check()?;
        Ok(config)
    }

    /// The run settings within their ranges (the same the web form enforces), else every
    /// problem, named as in the file.
    fn check(&self) -> Result<()> {
        let problems = self.pipeline.problems();
        if problems.is_empty() {
            return Ok(());
        }
        let list: Vec<String> = problems.iter().map(|p| format!("pipeline.{p}")).collect();
        anyhow::bail!("the configuration's run settings are out of range: {}", list.join("; "))
    }

    fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("in config file {}", path.display()))
    }

    /// The settings runs start with: `[pipeline]`, with `allow_hosts` added to the downloads'
    /// allow list.
    pub fn pipeline_settings(&self) -> PipelineSettings {
        let mut pipeline = self.pipeline.clone();
        let allow = &mut pipeline.fetch.allow_hosts;
        allow.extend(self.allow_hosts.iter().cloned());
        let mut seen = std::collections::HashSet::new();
        allow.retain(|h| seen.insert(h.clone()));
        pipeline
    }

    /// The settings the web server's runs start with: [`Self::pipeline_settings`], and while the
    /// demo is on, the server's own address (it serves the demo clips the demo dataset lists).
    pub fn served_pipeline_settings(&self) -> PipelineSettings {
        let mut pipeline = self.pipeline_settings();
        let own = loopback_addr(self.addr).ip().to_string();
        if self.demo && !pipeline.fetch.allow_hosts.contains(&own) {
            pipeline.fetch.allow_hosts.push(own);
        }
        pipeline
    }

    /// The store: PostgreSQL when `database_url` is set, else SQLite in `data_dir`.
    pub fn open_store(&self) -> Result<ips_core::store::Store> {
        let store = ips_core::store::Store::open_configured(&self.data_dir, self.database_url.as_deref())
            .context("opening the store")?;
        tracing::info!(backend = store.backend_name(), "store open");
        Ok(store)
    }

    /// The video work queue shared with `ips worker` processes: pgmq in the database at
    /// `database_url`; `None` with SQLite (the runs' own threads take the videos).
    pub fn open_shared_queue(&self) -> Result<Option<std::sync::Arc<dyn ips_core::queue::WorkQueue>>> {
        ips_core::queue::open_shared(self.database_url.as_deref(), ips_core::pipeline::VIDEO_QUEUE)
            .context("opening the work queue")
    }

    /// What runs share with `ips worker`s: the queue, how this process uses it, the media store.
    pub fn shared(&self) -> Result<Option<crate::jobs::Shared>> {
        let media = self.open_media()?;
        Ok(self.open_shared_queue()?.map(|queue| crate::jobs::Shared {
            queue,
            embedded_worker: self.embedded_worker,
            settings: self.queue_settings(),
            media,
        }))
    }

    /// The media store at `media_url`, shared with workers on other machines; `None` when unset
    /// (every process uses `data_dir`).
    pub fn open_media(&self) -> Result<Option<std::sync::Arc<dyn ips_core::media::SharedFiles>>> {
        let Some(url) = self.media_url.as_deref() else { return Ok(None) };
        if self.database_url.is_none() {
            bail!(
                "media_url ({url}) needs database_url: only workers on other machines share media, through PostgreSQL"
            );
        }
        #[cfg(feature = "postgres")]
        {
            let media = ips_core::media::MediaStore::open(url, &[])
                .with_context(|| format!("opening the media store {url}"))?;
            tracing::info!(url, "media store open");
            Ok(Some(std::sync::Arc::new(media)))
        }
        #[cfg(not(feature = "postgres"))]
        bail!("media_url ({url}) needs a build with `--features postgres`")
    }

    /// How this process's workers use the shared queue.
    pub fn queue_settings(&self) -> ips_core::queue::QueueSettings {
        ips_core::queue::QueueSettings::with_visibility(std::time::Duration::from_secs(self.queue_visibility_s.max(3)))
    }

    /// `IPS_DATA_DIR`, `IPS_DATABASE_URL`, `IPS_MEDIA_URL`, `IPS_EMBEDDED_WORKER`, `IPS_QUEUE_VISIBILITY_S`, `IPS_ADDR`, `IPS_SITE_ROOT`, `IPS_MAX_UPLOAD_MIB`, `IPS_RESUME_ON_START`,
    /// `IPS_DEMO`, `IPS_ACCESS_TOKEN`, `IPS_ALLOW_HOSTS`, `IPS_FETCH_CONCURRENCY`, `IPS_WORKERS`, `IPS_CLIP_PRECISION`, `IPS_MODELS_DIR`.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<()> {
        if let Some(v) = var("IPS_DATA_DIR") {
            self.data_dir = v.into();
        }
        if let Some(v) = var("IPS_DATABASE_URL") {
            self.database_url = Some(v).filter(|url| !url.trim().is_empty());
        }
        if let Some(v) = var("IPS_MEDIA_URL") {
            self.media_url = Some(v).filter(|url| !url.trim().is_empty());
        }
        if let Some(v) = var("IPS_EMBEDDED_WORKER") {
            self.embedded_worker =
                v.parse().with_context(|| format!("IPS_EMBEDDED_WORKER={v} is not true or false"))?;
        }
        if let Some(v) = var("IPS_QUEUE_VISIBILITY_S") {
            self.queue_visibility_s =
                v.parse().with_context(|| format!("IPS_QUEUE_VISIBILITY_S={v} is not a whole number of seconds"))?;
        }
        if let Some(v) = var("IPS_ADDR") {
            self.addr = v.parse().with_context(|| format!("IPS_ADDR={v} is not an address like 127.0.0.1:3000"))?;
        }
        if let Some(v) = var("IPS_SITE_ROOT") {
            self.site_root = v.into();
        }
        if let Some(v) = var("IPS_MODELS_DIR") {
            self.models_dir = v.into();
        }
        if let Some(v) = var("IPS_MAX_UPLOAD_MIB") {
            self.max_upload_mib = v.parse().with_context(|| format!("IPS_MAX_UPLOAD_MIB={v} is not a whole number"))?;
        }
        if let Some(v) = var("IPS_RESUME_ON_START") {
            self.resume_on_start =
                v.parse().with_context(|| format!("IPS_RESUME_ON_START={v} is not true or false"))?;
        }
        if let Some(v) = var("IPS_DEMO") {
            self.demo = v.parse().with_context(|| format!("IPS_DEMO={v} is not true or false"))?;
        }
        if let Some(v) = var("IPS_ACCESS_TOKEN") {
            self.access_token = Some(v);
        }
        if let Some(v) = var("IPS_ALLOW_HOSTS") {
            self.allow_hosts = v.split(',').map(str::trim).filter(|h| !h.is_empty()).map(str::to_string).collect();
        }
        if let Some(v) = var("IPS_FETCH_CONCURRENCY") {
            self.pipeline.fetch.concurrency =
                v.parse().with_context(|| format!("IPS_FETCH_CONCURRENCY={v} is not a whole number"))?;
        }
        if let Some(v) = var("IPS_WORKERS") {
            self.pipeline.workers = v.parse().with_context(|| format!("IPS_WORKERS={v} is not a whole number"))?;
        }
        if let Some(v) = var("IPS_CLIP_PRECISION") {
            self.pipeline.clip_precision = serde_json::from_value(serde_json::Value::String(v.clone()))
                .with_context(|| format!("IPS_CLIP_PRECISION={v} is not auto, f32 or bf16"))?;
        }
        Ok(())
    }
}

/// The address a local client uses to reach a server bound to `addr` (0.0.0.0 → 127.0.0.1).
pub(crate) fn loopback_addr(addr: std::net::SocketAddr) -> std::net::SocketAddr {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    addr
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_values_override_defaults_and_env_overrides_the_file() {
        let mut config: Config =
            toml::from_str("data_dir = \"/srv/ips\"\nmax_upload_mib = 5\n[pipeline.fetch]\nconcurrency = 9\n").unwrap();
        assert_eq!(config.pipeline.fetch.concurrency, 9);
        assert_eq!(config.pipeline.fetch.retries, 3, "unset keys keep their defaults");
        assert_eq!(config.data_dir, PathBuf::from("/srv/ips"));
        assert_eq!(config.addr, Config::default().addr);
        config
            .apply_env(|k| match k {
                "IPS_ADDR" => Some("0.0.0.0:8080".into()),
                "IPS_MAX_UPLOAD_MIB" => Some("7".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(config.addr.port(), 8080);
        assert_eq!(config.max_upload_mib, 7);
        assert_eq!(config.data_dir, PathBuf::from("/srv/ips"));
    }

    #[test]
    fn allowed_hosts_come_from_the_file_or_the_environment_and_the_demo_adds_its_own() {
        let mut config: Config =
            toml::from_str("allow_hosts = [\"cdn.local\"]\ndemo = false\naddr = \"0.0.0.0:3000\"\n").unwrap();
        assert_eq!(config.pipeline_settings().fetch.allow_hosts, ["cdn.local"]);
        config.apply_env(|k| (k == "IPS_ALLOW_HOSTS").then(|| " 127.0.0.1, 10.0.0.0/8 ,".into())).unwrap();
        assert_eq!(config.pipeline_settings().fetch.allow_hosts, ["127.0.0.1", "10.0.0.0/8"]);
        config.apply_env(|k| (k == "IPS_ALLOW_HOSTS").then(|| "10.0.0.0/8".into())).unwrap();
        assert_eq!(config.served_pipeline_settings().fetch.allow_hosts, ["10.0.0.0/8"], "no demo, nothing added");
        config.demo = true;
        assert_eq!(config.pipeline_settings().fetch.allow_hosts, ["10.0.0.0/8"], "the CLI serves no demo");
        assert_eq!(
            config.served_pipeline_settings().fetch.allow_hosts,
            ["10.0.0.0/8", "127.0.0.1"],
            "a server on 0.0.0.0 serves the demo on 127.0.0.1"
        );
        assert!(Config::default().pipeline.fetch.allow_hosts.is_empty(), "nothing private by default");
    }

    #[test]
    fn a_media_store_comes_from_the_environment_and_needs_the_database() {
        let mut config = Config::default();
        config.apply_env(|k| (k == "IPS_MEDIA_URL").then(|| "s3://ips-media/runs".into())).unwrap();
        assert_eq!(config.media_url.as_deref(), Some("s3://ips-media/runs"));
        let err = config.open_media().err().expect("refused without a database_url").to_string();
        assert!(err.contains("media_url (s3://ips-media/runs) needs database_url"), "{err}");
        config.media_url = None;
        assert!(config.open_media().unwrap().is_none(), "unset: every process uses its data dir");
    }

    #[test]
    fn clip_precision_comes_from_the_file_or_the_environment() {
        use ips_core::clip::ClipPrecision;
        assert_eq!(Config::default().pipeline.clip_precision, ClipPrecision::Auto);
        let mut config: Config = toml::from_str("[pipeline]\nclip_precision = \"f32\"\n").unwrap();
        assert_eq!(config.pipeline_settings().clip_precision, ClipPrecision::F32);
        config.apply_env(|k| (k == "IPS_CLIP_PRECISION").then(|| "bf16".into())).unwrap();
        assert_eq!(config.pipeline_settings().clip_precision, ClipPrecision::Bf16);
        let err = config.apply_env(|k| (k == "IPS_CLIP_PRECISION").then(|| "fp8".into())).unwrap_err();
        assert!(err.to_string().contains("IPS_CLIP_PRECISION=fp8 is not auto, f32 or bf16"), "{err}");
        assert!(toml::from_str::<Config>("[pipeline]\nclip_precision = \"fp8\"\n").is_err());
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = Config::default().apply_env(|k| (k == "IPS_ADDR").then(|| "nonsense".into())).unwrap_err();
        assert!(err.to_string().contains("IPS_ADDR=nonsense"), "{err}");
        assert!(toml::from_str::<Config>("colour = \"blue\"").is_err(), "unknown keys are refused");
    }

    #[test]
    fn run_settings_out_of_range_in_the_file_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ips.toml");
        let text = "[pipeline.frames]\nper_second = 30.0\n[pipeline.creators]\nmax_distance = 0.05\n";
        std::fs::write(&file, text).unwrap();
        let err = Config::load(Some(&file)).unwrap_err().to_string();
        assert_eq!(
            err,
            "the configuration's run settings are out of range: \
             pipeline.frames.per_second must be a number from 0.1 to 5, not 30; \
             pipeline.creators.max_distance must be a number from 0.2 to 0.8, not 0.05"
        );
        std::fs::write(&file, "[pipeline.frames]\nper_second = 2.0\n").unwrap();
        assert_eq!(Config::load(Some(&file)).unwrap().pipeline.frames.per_second, 2.0);
    }
}
