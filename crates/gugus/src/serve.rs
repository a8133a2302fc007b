//! `gugus serve` (and `demo`): the server's options, opening the database with its key,
//! and starting the web application with its background jobs.

use crate::{backup, config};
use anyhow::{Context, Result};
use std::net::SocketAddr;
use store::Store;

#[derive(clap::Args, Clone)]
pub(crate) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "GUGUS_LISTEN", default_value = "127.0.0.1:8080")]
    pub(crate) listen: SocketAddr,
    /// Also serve the public site alone (the visitors' home, public statistics, open data) on
    /// this address: every internal route is 404 there, so it can face the internet while
    /// `--listen` stays on the intranet.
    #[arg(long, env = "GUGUS_PUBLIC_LISTEN")]
    public_listen: Option<SocketAddr>,
    /// Public URL (e.g. https://gugus.example.go.id); https marks cookies Secure.
    #[arg(long, env = "GUGUS_PUBLIC_URL")]
    public_url: Option<String>,
    /// Public statistics: counts below this are hidden (with complementary cells) in the
    /// monthly snapshots the server publishes. CTDC's 11 by default.
    #[arg(long, env = "GUGUS_PUBLIC_THRESHOLD", default_value_t = store::publish::DEFAULT_THRESHOLD,
          value_parser = clap::value_parser!(i64).range(2..=1000))]
    public_threshold: i64,
    /// Trust X-Forwarded-For / X-Forwarded-Proto from a reverse proxy in front of Gugus.
    #[arg(long, env = "GUGUS_TRUST_PROXY")]
    trust_proxy: bool,
    /// Minutes of inactivity after which a session ends.
    #[arg(long, env = "GUGUS_SESSION_IDLE_MINUTES", default_value_t = 30)]
    session_idle_minutes: i64,
    /// Hours after login after which a session ends regardless of activity.
    #[arg(long, env = "GUGUS_SESSION_MAX_HOURS", default_value_t = 12)]
    session_max_hours: i64,
    /// Days an API token lives (the default, and the most a token may be given).
    #[arg(long, env = "GUGUS_API_TOKEN_DAYS", default_value_t = domain::token::DEFAULT_DAYS)]
    api_token_days: i64,
    /// During a key rotation: the previous secret key file, so rows not yet re-encrypted
    /// stay readable.
    #[arg(long, env = "GUGUS_PREVIOUS_SECRET_KEY_FILE")]
    previous_secret_key_file: Option<std::path::PathBuf>,
    /// Login attempts allowed per client address per minute (on top of per-account lockout).
    #[arg(long, env = "GUGUS_LOGINS_PER_MINUTE", default_value_t = 30)]
    logins_per_minute: u32,
    /// Complaints from the public accepted per client address per hour (more wait; what
    /// was typed is kept in the form).
    #[arg(long, env = "GUGUS_COMPLAINTS_PER_HOUR", default_value_t = 20)]
    complaints_per_hour: u32,
    /// The privacy budget of the open data: the cumulative ε (at δ = 10⁻⁶) that all
    /// differentially private synthetic releases of this instance may spend together.
    #[arg(long, env = "GUGUS_DP_BUDGET", default_value_t = 10.0)]
    dp_budget: f64,
    /// SMTP server for notification e-mails, e.g. smtp://user:pass@relay.example:25?from=gugus@example.go.id
    /// (plain SMTP to a relay; the e-mail holds a link only).
    #[arg(long, env = "GUGUS_SMTP_URL")]
    smtp_url: Option<String>,
    /// Largest accepted request body in KiB.
    #[arg(long, env = "GUGUS_MAX_BODY_KB", default_value_t = 1024)]
    max_body_kb: usize,
    /// Minutes between signed checkpoints of the audit chain (written when it moved).
    #[arg(long, env = "GUGUS_AUDIT_CHECKPOINT_MINUTES", default_value_t = 10)]
    audit_checkpoint_minutes: u64,
    /// Connections served at once; further clients wait to be accepted.
    #[arg(long, env = "GUGUS_MAX_CONNECTIONS", default_value_t = 512)]
    max_connections: usize,
    /// Connections one client address may hold (0 = no limit; not applied behind a trusted
    /// proxy, where every client has the proxy's address).
    #[arg(long, env = "GUGUS_MAX_CONNECTIONS_PER_CLIENT", default_value_t = 128)]
    max_connections_per_client: usize,
    /// Seconds a client has to send a request's headers; also the keep-alive idle timeout.
    #[arg(long, env = "GUGUS_HEADER_TIMEOUT_SECS", default_value_t = 15)]
    header_timeout_secs: u64,
    /// Seconds a request's body may stall (no bytes arriving) before the request is ended.
    #[arg(long, env = "GUGUS_BODY_TIMEOUT_SECS", default_value_t = 60)]
    body_timeout_secs: u64,
    /// Bearer token for /metrics (then from any address); unset: loopback clients only.
    #[arg(long, env = "GUGUS_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    #[command(flatten)]
    backup: backup::schedule::ScheduleArgs,
}

pub(crate) async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))
}

/// The database and its key. A named key file must exist; the default key file is created
/// only for a database that holds no identities yet — never silently beside data written
/// under another key.
pub(crate) async fn open_with_key(
    url: &str,
    explicit: Option<&std::path::Path>,
    durability: store::Durability,
) -> Result<(Store, Vec<u8>)> {
    if explicit.is_some() || config::default_key_exists(url) {
        let secret = config::load_secret(explicit, url)?;
        return Ok((open(url, durability).await?, secret));
    }
    let store = open(url, durability).await?;
    if store.holds_encrypted_data().await? {
        anyhow::bail!(
            "no secret key file {} for a database that holds identities: restore the key the data was written with (GUGUS_SECRET_KEY_FILE)",
            config::default_key_path(url).display()
        );
    }
    Ok((store, config::load_secret(None, url)?))
}

/// Connects, migrates and makes sure the region reference is loaded.
pub(crate) async fn open(url: &str, durability: store::Durability) -> Result<Store> {
    let store = Store::connect_with(url, durability).await?;
    if let Some(stats) = store.ensure_regions().await? {
        tracing::info!(
            rows = stats.rows,
            ms = stats.millis as u64,
            "loaded the region reference"
        );
    }
    store.ensure_picklists().await?;
    let started = std::time::Instant::now();
    let cases = store.ensure_statistics().await?;
    if cases > 0 {
        tracing::info!(
            cases,
            ms = started.elapsed().as_millis() as u64,
            "built the statistics rows"
        );
    }
    Ok(store)
}

pub(crate) async fn serve(
    store: Store,
    secret: Vec<u8>,
    args: &ServeArgs,
    listener: tokio::net::TcpListener,
    checkpoint_file: std::path::PathBuf,
    url: &str,
) -> Result<()> {
    let schedule = backup::schedule::Schedule::from_args(&args.backup, url, &secret)?;
    let policy = store::AuthPolicy {
        idle_ms: args.session_idle_minutes.max(1) * 60_000,
        absolute_ms: args.session_max_hours.max(1) * 3_600_000,
        token_days: args.api_token_days.clamp(1, domain::token::MAX_DAYS),
        ..Default::default()
    };
    let previous = args
        .previous_secret_key_file
        .as_deref()
        .map(config::read_key_file)
        .transpose()?;
    let keyring = store::crypto::Keyring::new(&secret, previous.as_deref())?;
    let store = store.with_policy(policy).with_keyring(keyring);
    store.verify_key().await?;
    // Text an older version kept in plaintext is encrypted once the key is loaded.
    store.encrypt_legacy_plaintext().await?;
    store.seal_review_text().await?;
    let config = web::WebConfig {
        secret,
        secure_cookies: args
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://")),
        trust_proxy: args.trust_proxy,
        body_limit: args.max_body_kb.max(1) * 1024,
        logins_per_minute: args.logins_per_minute.max(1),
        complaints_per_hour: args.complaints_per_hour.max(1),
        dp_budget_epsilon: if args.dp_budget.is_finite() {
            args.dp_budget.max(0.0)
        } else {
            0.0
        },
        metrics_token: args.metrics_token.clone().filter(|t| !t.trim().is_empty()),
        public_url: args.public_url.clone(),
    };
    tokio::spawn(web::session_janitor(store.clone()));
    let smtp = args
        .smtp_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .map(web::mail::SmtpConfig::parse)
        .transpose()
        .context("GUGUS_SMTP_URL")?;
    let public_url = args.public_url.clone().unwrap_or_else(|| {
        format!(
            "http://{}",
            listener
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_default()
        )
    });
    tokio::spawn(web::worker::run(
        store.clone(),
        web::worker::WorkerConfig {
            smtp,
            public_url,
            every: std::time::Duration::from_secs(60),
            publish_threshold: Some(args.public_threshold),
        },
    ));
    tokio::spawn(web::checkpoint::run(
        store.clone(),
        web::checkpoint::CheckpointConfig {
            file: checkpoint_file.clone(),
            every: std::time::Duration::from_secs(args.audit_checkpoint_minutes.max(1) * 60),
        },
    ));
    if let Some(s) = schedule {
        tokio::spawn(backup::schedule::run(store.clone(), s));
    }
    let public = match args.public_listen {
        Some(addr) => Some((
            tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr} (--public-listen)"))?,
            web::public_app(store.clone(), config.clone()),
        )),
        None => None,
    };
    let app = web::app(store.clone(), config);
    let addr = listener.local_addr()?;
    tracing::info!(%addr, node = store.node_id(), "gugus is listening");
    let shutdown = config::shutdown_signal()?;
    println!("Gugus is listening on http://{addr}/");
    let limits = web::ServeLimits {
        max_connections: args.max_connections.max(1),
        max_connections_per_client: if args.trust_proxy {
            0
        } else {
            args.max_connections_per_client
        },
        header_timeout: std::time::Duration::from_secs(args.header_timeout_secs.max(1)),
        body_timeout: std::time::Duration::from_secs(args.body_timeout_secs.max(1)),
    };
    if let Some((public, site)) = public {
        let at = public.local_addr()?;
        tracing::info!(addr = %at, "the public site is listening");
        println!("The public site alone is on http://{at}/");
        tokio::spawn(async move {
            if let Err(e) = web::serve_with(public, site, limits, std::future::pending()).await {
                tracing::error!(error = %e, "the public site stopped");
            }
        });
    }
    web::serve_with(listener, app, limits, shutdown)
        .await
        .context("server failed")?;
    web::at_shutdown(&store, &checkpoint_file).await;
    store.close().await;
    tracing::info!("gugus stopped");
    Ok(())
}
