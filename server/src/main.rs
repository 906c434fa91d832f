//! `ips`: the Influencer Performance System server and command line.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
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
