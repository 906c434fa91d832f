//! `ips`: the Influencer Performance System server and command line.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use ips_core::pipeline::CancelFlag;
use ips_server::config::Config;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "ips", version, about = "Influencer Performance System")]
struct Cli {
    /// Configuration file (TOML). Default: ./ips.toml when it exists.
    #[arg(long, global = true, env = "IPS_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory (database, caches). Overrides the config file and IPS_DATA_DIR.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// With the store on PostgreSQL: whether `serve` and `run` analyse videos themselves too
    /// (default true) or leave them all to `ips worker`s. Overrides IPS_EMBEDDED_WORKER.
    #[arg(long, global = true)]
    embedded_worker: Option<bool>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app (the default).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:3000. Overrides the config file and IPS_ADDR.
        #[arg(long)]
        addr: Option<std::net::SocketAddr>,
    },
    /// Run the pipeline on a CSV without the web app and write the report files.
    Run {
        /// The spreadsheet (CSV) of ads.
        input: PathBuf,
        /// Folder for ads.csv, videos.csv, creators.csv and faces/.
        #[arg(long, default_value = "report")]
        out: PathBuf,
    },
    /// Analyse videos from the work queue in PostgreSQL (IPS_DATABASE_URL) for runs started on
    /// any machine; stops on Ctrl-C or SIGTERM, after the video in hand.
    Worker {
        /// Stop when the queue is empty instead of waiting for more.
        #[arg(long)]
        until_empty: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn")))
        .init();
    ips_core::faults::configure_from_env();
    let cli = Cli::parse();
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(dir) = cli.data_dir {
        config.data_dir = dir;
    }
    if let Some(embedded) = cli.embedded_worker {
        config.embedded_worker = embedded;
    }
    match cli.command.unwrap_or(Command::Serve { addr: None }) {
        Command::Serve { addr } => {
            if let Some(addr) = addr {
                config.addr = addr;
            }
            serve(config).await
        }
        Command::Run { input, out } => {
            tokio::task::spawn_blocking(move || ips_server::cli_run::run(&config, &input, &out)).await?
        }
        Command::Worker { until_empty } => {
            let cancel = CancelFlag::new();
            tokio::spawn({
                let cancel = cancel.clone();
                async move {
                    shutdown_signal().await;
                    tracing::info!("ips worker: stopping after the videos in hand");
                    cancel.cancel();
                }
            });
            tokio::task::spawn_blocking(move || ips_server::worker::run(&config, until_empty, &cancel)).await?
        }
    }
}

/// Ctrl-C or SIGTERM (what `kill` and service managers send).
async fn shutdown_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match terminate.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let server = ips_server::web::build(&config)?;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("cannot listen on {}", config.addr))?;
    tracing::info!("IPS is serving http://{} (data in {})", config.addr, config.data_dir.display());
    let jobs: std::sync::Arc<dyn ips_app::ssr::JobControl> = server.jobs.clone();
    if let Err(e) = ips_server::demo::load_if_empty(&config, server.store.clone(), jobs).await {
        tracing::error!("the demo dataset could not be loaded: {e:#}");
    }
    axum::serve(listener, server.router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
