//! faissx-server: argument parsing and signals; the server itself is `faissx::server`.

use clap::Parser;
use faissx::server::{Config, Limits, Server};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Serves FAISS indexes to faissx clients over ZeroMQ.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// TCP port to listen on.
    #[arg(long, env = "FAISSX_PORT", default_value_t = 45678)]
    port: u16,
    /// Address to bind (0.0.0.0: every interface).
    #[arg(long, env = "FAISSX_BIND_ADDRESS", default_value = "0.0.0.0")]
    bind_address: String,
    /// API keys and their tenants: key1:tenant1,key2:tenant2. Giving keys turns auth on.
    #[arg(long, env = "FAISSX_AUTH_KEYS")]
    auth_keys: Option<String>,
    /// JSON file mapping API keys to tenants: {"key": "tenant", ...}.
    #[arg(long, env = "FAISSX_AUTH_FILE")]
    auth_file: Option<PathBuf>,
    /// Require an API key on every request (needs --auth-keys or --auth-file).
    #[arg(long, env = "FAISSX_ENABLE_AUTH")]
    enable_auth: bool,
    /// Keep indexes here: acknowledged writes survive crashes, restarts restore every index.
    #[arg(long, env = "FAISSX_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Start even when an index file is corrupt, leaving that index out (reported at start).
    #[arg(long, env = "FAISSX_SKIP_CORRUPT")]
    skip_corrupt: bool,
    /// error, warn or info.
    #[arg(long, env = "FAISSX_LOG_LEVEL", default_value = "info")]
    log_level: String,
    /// Threads serving requests (default: one per core, at least 2).
    #[arg(long, env = "FAISSX_WORKERS")]
    workers: Option<usize>,
    /// Largest accepted message frame, in MB.
    #[arg(long, env = "FAISSX_MAX_MESSAGE_MB", default_value_t = 256)]
    max_message_mb: usize,
    /// Largest index dimension.
    #[arg(long, env = "FAISSX_MAX_DIMENSION", default_value_t = 65_536)]
    max_dimension: u32,
    /// Largest k of a search.
    #[arg(long, env = "FAISSX_MAX_K", default_value_t = 100_000)]
    max_k: u64,
    /// Most vectors in one request.
    #[arg(long, env = "FAISSX_MAX_BATCH", default_value_t = 10_000_000)]
    max_batch: u64,
}

fn parse_keys(list: &str) -> Result<HashMap<String, String>, String> {
    list.split(',')
        .filter(|pair| !pair.trim().is_empty())
        .enumerate()
        .map(|(i, pair)| match pair.trim().split_once(':') {
            Some((key, tenant)) if !key.is_empty() && !tenant.is_empty() => {
                Ok((key.to_string(), tenant.to_string()))
            }
            // Pointed at, not echoed: the entry holds a key.
            _ => Err(format!("--auth-keys: entry {} is not key:tenant", i + 1)),
        })
        .collect()
}

fn read_key_file(path: &PathBuf) -> Result<HashMap<String, String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--auth-file {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "--auth-file {}: not a JSON object of key: tenant strings ({e})",
            path.display()
        )
    })
}

fn config(args: &Args) -> Result<Config, String> {
    let mut keys = HashMap::new();
    if let Some(list) = &args.auth_keys {
        keys.extend(parse_keys(list)?);
    }
    if let Some(path) = &args.auth_file {
        keys.extend(read_key_file(path)?);
    }
    if args.enable_auth && keys.is_empty() {
        return Err("--enable-auth needs --auth-keys or --auth-file".into());
    }
    if !["error", "warn", "info"].contains(&args.log_level.as_str()) {
        return Err(format!(
            "--log-level: '{}' is not error, warn or info",
            args.log_level
        ));
    }
    let defaults = Config::default();
    Ok(Config {
        bind_address: args.bind_address.clone(),
        port: args.port,
        auth: (!keys.is_empty()).then_some(keys),
        data_dir: args.data_dir.clone(),
        skip_corrupt: args.skip_corrupt,
        workers: args.workers.unwrap_or(defaults.workers).max(1),
        limits: Limits {
            max_message_bytes: args.max_message_mb.saturating_mul(1 << 20),
            max_dimension: args.max_dimension,
            max_k: args.max_k,
            max_batch: args.max_batch,
        },
    })
}

fn main() -> ExitCode {
    let args = Args::parse();
    let config = match config(&args) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("faissx-server: {message}");
            return ExitCode::from(2);
        }
    };
    faissx::server::set_quiet(args.log_level != "info");
    let shutdown = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(signal, shutdown.clone()) {
            eprintln!("faissx-server: cannot handle signal {signal}: {e}");
            return ExitCode::FAILURE;
        }
    }
    let auth = if config.auth.is_some() { "on" } else { "off" };
    let server = match Server::bind(config) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("faissx-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("faissx-server: {} (auth {auth})", faissx::server::banner());
    // Scripts wait for this line to know the port is open.
    println!("listening on {}", server.endpoint());
    match server.run(&shutdown) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("faissx-server: {e}");
            ExitCode::FAILURE
        }
    }
}
