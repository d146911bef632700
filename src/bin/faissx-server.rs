//! faissx-server: argument parsing and signals; the server itself is `faissx::server`.

use clap::{Parser, Subcommand};
use faissx::server::budget::Quotas;
use faissx::server::{Config, Limits, Server};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

// The same load-time CPU check libfaissx.so has, for the copy of FAISS linked into this binary:
// an entry of its own, since the library's may not be linked in from the rlib.
#[used]
#[link_section = ".init_array.00101"]
static CPU_CHECK: extern "C" fn() = faissx::cpu::check_or_exit;

const LONG_ABOUT: &str = "\
Serves FAISS indexes to faissx clients over ZeroMQ.

Programs linked to libfaissx (or to the compat libfaiss_c) create their indexes here once they
call faissx_configure(\"tcp://HOST:PORT\", api_key, tenant) or run with FAISSX_SERVER set; every
call then runs on this server, with the same results as in-process FAISS. API keys map to
tenants, and a tenant sees only its own indexes.

Without API keys anyone who can reach the port can read, change and delete every index, so the
server then listens on the loopback interface (127.0.0.1) only, unless --bind-address says
otherwise. With keys it listens on every interface (0.0.0.0) by default.

Every option can also be given by the environment variable named in its description; a flag on
the command line wins over the environment.";

const AFTER_LONG_HELP: &str = "\
EXAMPLES:
    Local development (loopback only, indexes in memory):
        faissx-server

    A shared server: two tenants, durable indexes, every interface:
        faissx-server --auth-keys key1:tenant1,key2:tenant2 --data-dir /var/lib/faissx

    Encrypted connections (clients set FAISSX_SERVER_PUBLIC_KEY to the .pub file's key):
        faissx-server keygen --out /etc/faissx/server
        faissx-server --auth-file /etc/faissx/keys.json \\
                      --curve-secret-key-file /etc/faissx/server.key

    A client, unchanged, on this server:
        FAISSX_SERVER=tcp://host:45678 FAISSX_API_KEY=key1 FAISSX_TENANT_ID=tenant1 ./program

    A tenant's indexes (size, age, owner), and dropping one, on a running server:
        faissx-server list --server tcp://host:45678 --api-key key1
        faissx-server drop --server tcp://host:45678 --api-key key1 NAME

FILES:
    DATA_DIR/LOCK                    held while a server uses DATA_DIR; a second one refuses it
    DATA_DIR/TENANT/NAME.index       one snapshot per index (FAISS's format after a header;
                                     .bindex for binary indexes; TENANT and NAME hex-encoded)
    DATA_DIR/TENANT/NAME.wal         the writes acknowledged since that snapshot
    DATA_DIR/TENANT/NAME.meta        when the index was made and the client session owning it
                                     (JSON); a restart gives that session --session-timeout-ms
                                     to come back before its indexes are freed
    --auth-file                      JSON object {\"key\": \"tenant\", ...}; keep it mode 0600
    --curve-secret-key-file          written by `faissx-server keygen`; mode 0600
    Installed: PREFIX/lib/systemd/system/faissx-server.service runs it as user faissx with
    DATA_DIR /var/lib/faissx and options from /etc/faissx/faissx-server.env.

OUTPUT:
    `listening on tcp://ADDRESS:PORT` on standard output once the port is open (with --port 0,
    the port the system chose); everything else, the log, on standard error. API keys are never
    logged.

SIGNALS:
    SIGINT, SIGTERM    shut down and exit 0.

EXIT STATUS:
    0    stopped by SIGINT or SIGTERM
    1    could not start or serve: port in use, DATA_DIR locked or holding a corrupt index
         (see --skip-corrupt), an unreadable key file, or a CPU without the instruction-set
         extensions this build of FAISS needs (named in the message)
    2    invalid arguments or configuration";

/// Serves FAISS indexes to faissx clients over ZeroMQ.
#[derive(Parser, Debug)]
#[command(
    name = "faissx-server",
    version,
    about = "Serves FAISS indexes to faissx clients over ZeroMQ (--help: the full manual)",
    long_about = LONG_ABOUT,
    after_long_help = AFTER_LONG_HELP
)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// TCP port to listen on.
    #[arg(long, env = "FAISSX_PORT", default_value_t = 45678)]
    port: u16,
    /// Address to bind: 0.0.0.0 for every interface. Default: 127.0.0.1 (loopback only)
    /// without API keys, 0.0.0.0 with them.
    #[arg(long, env = "FAISSX_BIND_ADDRESS", value_name = "ADDRESS")]
    bind_address: Option<String>,
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
    /// ZeroMQ I/O threads moving requests and replies between the connections and the
    /// workers. Clients' connections are spread over them: raise it when many clients send
    /// small requests to a server with cores to spare.
    #[arg(long, env = "FAISSX_IO_THREADS", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=faissx::remote::MAX_IO_THREADS as i64))]
    io_threads: u16,
    /// Largest accepted message frame, in MB.
    #[arg(long, env = "FAISSX_MAX_MESSAGE_MB", default_value_t = 256)]
    max_message_mb: usize,
    /// Largest index dimension.
    #[arg(long, env = "FAISSX_MAX_DIMENSION", default_value_t = 65_536)]
    max_dimension: u32,
    /// Largest k of a search (by default libfaissx's own limit, FAISSX_MAX_K).
    #[arg(long, env = "FAISSX_MAX_K", default_value_t = faissx::ffi::types::FAISSX_MAX_K as u64)]
    max_k: u64,
    /// Most vectors in one request.
    #[arg(long, env = "FAISSX_MAX_BATCH", default_value_t = 10_000_000)]
    max_batch: u64,
    /// Largest result of one request, in MB: a search's n·k results (12 bytes each),
    /// reconstructed vectors, range search results.
    #[arg(long, env = "FAISSX_MAX_RESULT_MB", default_value_t = 2048)]
    max_result_mb: usize,
    /// Memory budget of the whole server, in MB: a request that would take the process's
    /// resident memory past it is refused with a Limit error before it allocates. Unlimited by
    /// default.
    #[arg(long, env = "FAISSX_MAX_MEMORY_MB", value_name = "MB")]
    max_memory_mb: Option<u64>,
    /// Most vectors one tenant's indexes may hold together; adds past it are refused.
    #[arg(long, env = "FAISSX_TENANT_MAX_VECTORS", value_name = "N")]
    tenant_max_vectors: Option<u64>,
    /// Most MB of stored vectors (codes) one tenant's indexes may hold together.
    #[arg(long, env = "FAISSX_TENANT_MAX_MB", value_name = "MB")]
    tenant_max_mb: Option<u64>,
    /// Encrypt every connection (ZeroMQ CURVE) with the server secret key in this file (made by
    /// `faissx-server keygen`; mode 0600). Only clients given the matching public key connect.
    #[arg(long, env = "FAISSX_CURVE_SECRET_KEY_FILE", value_name = "PATH")]
    curve_secret_key_file: Option<PathBuf>,
    /// Serve Prometheus metrics (GET /metrics) and a health check (GET /health) over HTTP on
    /// this address, e.g. 127.0.0.1:9100. Off by default.
    #[arg(long, env = "FAISSX_METRICS_ADDRESS", value_name = "HOST:PORT")]
    metrics_address: Option<String>,
    /// How long a client session may stay silent before the indexes it owns are freed (at
    /// least twice the heartbeat interval the client announces; libfaissx's default is 5000).
    /// An index belongs to the session of the process that created it until it is shared.
    #[arg(long, env = "FAISSX_SESSION_TIMEOUT_MS", value_name = "MS",
          default_value_t = faissx::server::DEFAULT_SESSION_TIMEOUT_MS)]
    session_timeout_ms: u64,
}

/// Where an admin command finds the server, and who it acts as.
#[derive(clap::Args, Debug)]
struct Target {
    /// The server, tcp://HOST:PORT (or HOST:PORT).
    #[arg(long, env = "FAISSX_SERVER", value_name = "ADDRESS")]
    server: String,
    /// The API key, when the server has keys: it decides the tenant acted on.
    // --help would print the variable's value: a secret.
    #[arg(
        long,
        env = "FAISSX_API_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    api_key: Option<String>,
    /// The tenant, without keys (default: "default"); with keys, the key's own.
    #[arg(long, env = "FAISSX_TENANT_ID", value_name = "TENANT")]
    tenant: Option<String>,
    /// The server's CURVE public key (40 Z85 characters), when it encrypts connections.
    #[arg(long, env = "FAISSX_SERVER_PUBLIC_KEY", value_name = "KEY")]
    server_public_key: Option<String>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Writes a new CURVE key pair for --curve-secret-key-file: PREFIX.key (the secret key,
    /// mode 0600, for the server) and PREFIX.pub (the public key, for clients).
    Keygen {
        /// Path and file name without extension, e.g. /etc/faissx/server.
        #[arg(long, value_name = "PREFIX")]
        out: PathBuf,
    },
    /// Lists a tenant's indexes on a running server: name, class, dimension, vectors, size,
    /// age and owner (the session of the process that made it, or "shared": kept until
    /// dropped).
    List {
        #[command(flatten)]
        target: Target,
        /// One JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Deletes indexes of a tenant on a running server, by name.
    Drop {
        #[command(flatten)]
        target: Target,
        /// The indexes' names, as `list` shows them.
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
    },
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
    let curve_secret_key = match &args.curve_secret_key_file {
        Some(path) => Some(
            faissx::curve::read_secret_key_file(path)
                .map_err(|e| format!("--curve-secret-key-file {e}"))?,
        ),
        None => None,
    };
    let defaults = Config::default();
    let bind_address = match &args.bind_address {
        Some(address) => address.clone(),
        None if keys.is_empty() => LOOPBACK.to_string(),
        None => "0.0.0.0".to_string(),
    };
    Ok(Config {
        bind_address,
        port: args.port,
        auth: (!keys.is_empty()).then_some(keys),
        data_dir: args.data_dir.clone(),
        skip_corrupt: args.skip_corrupt,
        workers: args.workers.unwrap_or(defaults.workers).max(1),
        io_threads: usize::from(args.io_threads),
        limits: Limits {
            max_message_bytes: args.max_message_mb.saturating_mul(1 << 20),
            max_dimension: args.max_dimension,
            max_k: args.max_k,
            max_batch: args.max_batch,
            max_result_bytes: args.max_result_mb.saturating_mul(1 << 20),
        },
        quotas: Quotas {
            max_memory_bytes: args.max_memory_mb.map(|mb| mb.saturating_mul(1 << 20)),
            tenant_max_vectors: args.tenant_max_vectors,
            tenant_max_bytes: args.tenant_max_mb.map(|mb| mb.saturating_mul(1 << 20)),
        },
        curve_secret_key,
        metrics_address: args.metrics_address.clone(),
        session_timeout: std::time::Duration::from_millis(args.session_timeout_ms.max(1)),
    })
}

/// Where a server without API keys listens unless told otherwise.
const LOOPBACK: &str = "127.0.0.1";

fn is_loopback(address: &str) -> bool {
    let address = address.trim_start_matches('[').trim_end_matches(']');
    address == "localhost"
        || address
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// What the start-up log says about who can reach an unauthenticated server.
fn exposure_notice(args: &Args, config: &Config) -> Option<String> {
    if config.auth.is_some() {
        return None;
    }
    if args.bind_address.is_none() {
        return Some(format!(
            "no API keys: listening on loopback ({LOOPBACK}) only; give --auth-keys or \
             --auth-file to serve other hosts (or --bind-address 0.0.0.0 to serve them without \
             keys)"
        ));
    }
    (!is_loopback(&config.bind_address)).then(|| {
        format!(
            "WARNING: no API keys and listening on {}: anyone who can reach port {} can read, \
             change and delete every index",
            config.bind_address, config.port
        )
    })
}

fn keygen(prefix: &std::path::Path) -> ExitCode {
    match faissx::curve::write_key_files(prefix) {
        Ok((secret, public)) => {
            println!(
                "secret key: {} (for --curve-secret-key-file)",
                secret.display()
            );
            println!(
                "public key: {} (for clients: FAISSX_SERVER_PUBLIC_KEY)",
                public.display()
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("faissx-server keygen: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs an admin command as a client of the server `target` names: exit 1 when it fails.
fn admin(
    command: &str,
    target: &Target,
    run: impl FnOnce(&faissx::remote::Client) -> Result<(), String>,
) -> ExitCode {
    if let Some(key) = target.server_public_key.as_deref() {
        if let Err(e) = faissx::remote::set_option("server_public_key", key) {
            eprintln!(
                "faissx-server {command}: --server-public-key: {}",
                e.message
            );
            return ExitCode::from(2);
        }
    }
    // Admin commands create nothing: their session owns no index and sends no heartbeat.
    let client = faissx::remote::Client::new(faissx::remote::Settings {
        server: faissx::remote::normalize(&target.server),
        api_key: target.api_key.clone().filter(|k| !k.is_empty()),
        tenant: target.tenant.clone().filter(|t| !t.is_empty()),
    });
    match run(&client) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("faissx-server {command}: {message}");
            ExitCode::FAILURE
        }
    }
}

fn list(client: &faissx::remote::Client, json: bool) -> Result<(), String> {
    let listed = faissx::remote::list(client).map_err(|e| e.message)?;
    if json {
        println!("{}", faissx::remote::list_json(&listed, None));
        return Ok(());
    }
    let rows: Vec<[String; 7]> = listed
        .iter()
        .map(|index| {
            [
                index.name.clone(),
                index.class.clone(),
                index.d.to_string(),
                index.ntotal.to_string(),
                human_bytes(index.bytes),
                human_age(index.age_ms),
                index
                    .session
                    .as_ref()
                    .map_or_else(|| "shared".to_string(), |s| format!("session {s}")),
            ]
        })
        .collect();
    let header = ["NAME", "CLASS", "D", "NTOTAL", "SIZE", "AGE", "OWNER"].map(String::from);
    let mut widths = header.clone().map(|h| h.len());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        println!("{}", cells.join("  ").trim_end());
    }
    Ok(())
}

fn drop_indexes(client: &faissx::remote::Client, names: &[String]) -> Result<(), String> {
    let mut failed = Vec::new();
    for name in names {
        let op = faissx::protocol::Op::Delete {
            index: name.clone(),
        };
        match client.call(op, vec![]) {
            Ok(_) => println!("dropped {name}"),
            Err(e) => {
                eprintln!("faissx-server drop: {name}: {}", e.message);
                failed.push(name.as_str());
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("not dropped: {}", failed.join(", ")))
    }
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn human_age(ms: u64) -> String {
    let seconds = ms / 1000;
    match seconds {
        0..=59 => format!("{seconds}s"),
        60..=3599 => format!("{}m{:02}s", seconds / 60, seconds % 60),
        3600..=86_399 => format!("{}h{:02}m", seconds / 3600, seconds % 3600 / 60),
        _ => format!("{}d{:02}h", seconds / 86_400, seconds % 86_400 / 3600),
    }
}

fn main() -> ExitCode {
    // Before anything writes: a log that reaches the file size limit (`ulimit -f`) would raise
    // SIGXFSZ, which kills the process; ignored, that write fails with EFBIG and only the
    // request behind it gets an error. (Server::bind does the same for embedded servers.)
    // SAFETY: installs SIG_IGN, which runs no code in the handler.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    let args = Args::parse();
    match &args.command {
        Some(Command::Keygen { out }) => return keygen(out),
        Some(Command::List { target, json }) => return admin("list", target, |c| list(c, *json)),
        Some(Command::Drop { target, names }) => {
            return admin("drop", target, |client| drop_indexes(client, names))
        }
        None => {}
    }
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
    let notice = exposure_notice(&args, &config);
    // Printed so that operators can check it against the .pub file they give to clients.
    let curve = match &config.curve_secret_key {
        Some(secret) => match faissx::curve::public_of(&secret.0) {
            Ok(public) => format!("CURVE on, public key {}", faissx::curve::encode(&public)),
            Err(e) => {
                eprintln!("faissx-server: --curve-secret-key-file: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => "CURVE off".to_string(),
    };
    let server = match Server::bind(config) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("faissx-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "faissx-server: {} (auth {auth}, {curve})",
        faissx::server::banner()
    );
    if let Some(notice) = notice {
        eprintln!("faissx-server: {notice}");
    }
    if let Some(address) = server.metrics_address() {
        eprintln!(
            "faissx-server: metrics on http://{address}/metrics, health on http://{address}/health"
        );
    }
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
