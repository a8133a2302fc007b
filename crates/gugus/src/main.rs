//! `gugus`: the one binary. Serves the web application, loads demo data, migrates,
//! manages accounts from the command line and verifies the audit chain.

mod audit_cli;
mod backup;
mod bench;
mod config;
mod demo;
mod demo_news;
mod generate;
mod linkage_cli;
mod serve;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use domain::{Actor, UnitId};
use serve::{ServeArgs, bind, open, open_with_key, serve};
use std::io::IsTerminal;
use store::Store;

#[derive(Parser)]
#[command(
    name = "gugus",
    version,
    about = "Gugus: integrated information system of Indonesia's anti-trafficking task forces (GT PP-TPPO)"
)]
struct Cli {
    /// Database URL: sqlite://PATH (embedded, default) or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "GUGUS_DATABASE_URL")]
    database_url: Option<String>,
    /// File holding the 32-byte instance secret (64 hex characters). Created with mode 0600
    /// when it is the default path and does not exist yet.
    #[arg(long, global = true, env = "GUGUS_SECRET_KEY_FILE")]
    secret_key_file: Option<std::path::PathBuf>,
    /// Append-only file of signed audit checkpoints, outside the database (default: beside
    /// the secret key file, `<key name>.checkpoints`).
    #[arg(long, global = true, env = "GUGUS_AUDIT_CHECKPOINT_FILE")]
    audit_checkpoint_file: Option<std::path::PathBuf>,
    /// SQLite only: `full` (default) flushes every commit to the disk, so a power cut loses
    /// nothing acknowledged; `normal` is faster and survives a crash of the process, but a
    /// power cut may take back the last transactions (see docs/BENCHMARKS.md).
    #[arg(long, global = true, env = "GUGUS_SQLITE_SYNCHRONOUS", default_value = "full",
          value_parser = ["full", "normal"])]
    sqlite_synchronous: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (graceful shutdown on SIGINT/SIGTERM).
    Serve(ServeArgs),
    /// Create or reuse ./gugus-demo.db with demo units and accounts, print the logins, then serve.
    Demo {
        #[command(flatten)]
        serve: ServeArgs,
        /// Load the demo data and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Apply pending database migrations and load the region reference.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCmd),
    /// Audit trail tools.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Check the configuration, the database connection and the database's integrity.
    Check,
    /// Write an encrypted, consistent copy of the database and its key while the server
    /// runs (`--out FILE`), or check one (`verify FILE`). Passphrase: GUGUS_BACKUP_PASSPHRASE.
    Backup(backup::cli::BackupArgs),
    /// Restore a backup (database and key file); refuses a database holding data and a
    /// different key file unless --force. Stop the server first.
    Restore(backup::cli::RestoreArgs),
    /// Encryption keys for identifying fields.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// Record linkage: find the same person reported in several places.
    #[command(subcommand)]
    Linkage(LinkageCmd),
    /// Benchmarks on an existing database (see docs/BENCHMARKS.md).
    #[command(subcommand)]
    Bench(BenchCmd),
    /// Fill the database with synthetic cases (for benchmarks; never on a real database).
    Generate {
        /// How many cases.
        #[arg(long)]
        cases: usize,
        /// Random seed: the same seed gives the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Add an account. The password is read from standard input (one line).
    Add {
        #[arg(long)]
        username: String,
        /// Full name.
        #[arg(long)]
        name: String,
        /// admin, data_officer, verifier, case_worker, partner_officer, analyst or viewer.
        #[arg(long)]
        role: String,
        /// Unit id or exact unit name (default: the national task force).
        #[arg(long, default_value = "1")]
        unit: String,
        #[arg(long, default_value = "")]
        email: String,
    },
    /// Set a new password (read from standard input); ends the account's sessions.
    Passwd {
        #[arg(long)]
        username: String,
    },
    /// Disable an account; ends its sessions.
    Disable {
        #[arg(long)]
        username: String,
    },
    /// Enable a disabled account.
    Enable {
        #[arg(long)]
        username: String,
    },
    /// List all accounts.
    List,
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Write a new random secret key file (mode 0600); refuses to overwrite.
    New {
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Re-encrypt every identifying field under the current key (GUGUS_SECRET_KEY_FILE),
    /// reading what is still under the previous one. Safe to interrupt and run again.
    Rotate {
        /// The key the data is encrypted with now.
        #[arg(long, env = "GUGUS_PREVIOUS_SECRET_KEY_FILE")]
        previous_key_file: std::path::PathBuf,
        /// Rows per transaction.
        #[arg(long, default_value_t = 500)]
        batch: i64,
    },
}

#[derive(Subcommand)]
enum BenchCmd {
    /// Make differentially private synthetic releases of the cleared persons (as a national
    /// admin would at /admin/data-sintetis; each is recorded and spends the benchmark
    /// database's budget, whose cap this ignores): time and peak memory.
    Synthetic {
        #[arg(long, default_value_t = 4.0)]
        epsilon: f64,
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// Time single case inserts (3 victims each) and the filtered case list, in-process.
    Cases {
        #[arg(long, default_value_t = 200)]
        inserts: usize,
        #[arg(long, default_value_t = 200)]
        queries: usize,
    },
    /// Fill one unit's "my tasks" with open services and referrals (bulk inserts without
    /// audit entries: benchmarks only, never on a real database), then time the query behind
    /// `/tasks` in-process. `--services 0 --referrals 0` only times. Only in a build with
    /// `--features bench`: the bulk fill bypasses authorization and audit.
    #[cfg(feature = "bench")]
    Tasks {
        /// Unit id or exact unit name, e.g. "GT PP-TPPO Kabupaten Belu".
        #[arg(long)]
        unit: String,
        /// Open services to add to the unit.
        #[arg(long, default_value_t = 10_000)]
        services: usize,
        /// Open referrals to add (two thirds to the unit, one third from it).
        #[arg(long, default_value_t = 300)]
        referrals: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// In-process runs of the first page and of the deep page.
        #[arg(long, default_value_t = 200)]
        queries: usize,
        /// The deep page to time besides the first.
        #[arg(long, default_value_t = 100)]
        deep_page: i64,
    },
    /// Serve the floor the pages are measured against: for the case list, a case page, "my
    /// tasks" and the review queue, the session lookup and the page's store call, printed
    /// as JSON without middleware or templates (docs/BENCHMARKS.md, bench/pages.sh). Only
    /// in a build with `--features bench`.
    #[cfg(feature = "bench")]
    Floor {
        #[arg(long, default_value = "127.0.0.1:18831")]
        listen: std::net::SocketAddr,
    },
    /// Record linkage on a CSV file (FEBRL or synthetic persons) scored against its truth
    /// columns, which the engine never reads. Give two `--input` files to link FEBRL4a/4b.
    Linkage {
        #[arg(long, required = true)]
        input: Vec<std::path::PathBuf>,
        /// Also write the report as JSON to this file.
        #[arg(long)]
        json: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum LinkageCmd {
    /// Train on all victims, rebuild the blocking keys and propose candidate pairs for review.
    Run,
    /// Train the model shipped for small databases from a synthetic persons CSV.
    TrainDefault {
        #[arg(long)]
        input: std::path::PathBuf,
        #[arg(long)]
        out: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Walk the hash chain and hold it against every signed checkpoint (the table, the
    /// checkpoint file, lines given here); name the first altered, deleted or reordered
    /// entry and any shortening of the trail.
    Verify {
        /// A checkpoint line kept earlier (from the audit page or `gugus audit checkpoint`);
        /// may be given several times.
        #[arg(long = "checkpoint", value_name = "LINE")]
        checkpoints: Vec<String>,
        /// The key before a rotation, to check the MACs of checkpoints made under it.
        #[arg(long, env = "GUGUS_PREVIOUS_SECRET_KEY_FILE")]
        previous_key_file: Option<std::path::PathBuf>,
    },
    /// Sign the audit chain's head now, store it (table and file) and print the line to keep.
    Checkpoint,
}

fn main() {
    let cli = Cli::parse();
    config::init_tracing();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = rt.block_on(run(cli)) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

/// The database named on the command line, opened with its key (for the commands that
/// read identities: generate, bench, linkage).
async fn open_keyed(
    database_url: Option<&str>,
    secret_key_file: Option<&std::path::Path>,
    durability: store::Durability,
) -> Result<Store> {
    let url = database_url.unwrap_or("sqlite://gugus.db");
    let secret = config::load_secret(secret_key_file, url)?;
    Ok(open(url, durability)
        .await?
        .with_keyring(store::crypto::Keyring::new(&secret, None)?))
}

async fn run(cli: Cli) -> Result<()> {
    let durability = store::Durability::parse(&cli.sqlite_synchronous)?;
    match cli.command {
        Command::Serve(args) => {
            let url = cli
                .database_url
                .unwrap_or_else(|| "sqlite://gugus.db".into());
            let (store, secret) =
                open_with_key(&url, cli.secret_key_file.as_deref(), durability).await?;
            let listener = bind(args.listen).await?;
            let file = config::checkpoint_path(
                cli.audit_checkpoint_file.as_deref(),
                cli.secret_key_file.as_deref(),
                &url,
            );
            serve(store, secret, &args, listener, file, &url).await
        }
        Command::Backup(args) => {
            let url = cli
                .database_url
                .unwrap_or_else(|| "sqlite://gugus.db".into());
            backup::cli::backup(&url, cli.secret_key_file.as_deref(), args).await
        }
        Command::Restore(args) => {
            let url = cli
                .database_url
                .unwrap_or_else(|| "sqlite://gugus.db".into());
            backup::cli::restore(&url, cli.secret_key_file.as_deref(), args).await
        }
        Command::Demo {
            serve: args,
            no_serve,
        } => {
            let url = cli
                .database_url
                .unwrap_or_else(|| "sqlite://gugus-demo.db".into());
            let (store, secret) =
                open_with_key(&url, cli.secret_key_file.as_deref(), durability).await?;
            let listener = if no_serve {
                None
            } else {
                Some(bind(args.listen).await?)
            };
            let accounts = demo::load(&store).await?;
            let keyring = store::crypto::Keyring::new(&secret, None)?;
            let store = store.with_keyring(keyring);
            store.verify_key().await?;
            store.seal_review_text().await?;
            let cases = demo::load_cases(&store).await?;
            if cases > 0 {
                println!("loaded {cases} synthetic demo cases");
            }
            let articles = demo_news::load(&store).await?;
            if articles > 0 {
                println!("loaded {articles} demo news articles");
            }
            if demo_news::load_release(&store).await? {
                println!("made a synthetic open-data release (epsilon 2)");
            }
            demo::print_logins(&accounts, &args.listen);
            let file = config::checkpoint_path(
                cli.audit_checkpoint_file.as_deref(),
                cli.secret_key_file.as_deref(),
                &url,
            );
            match listener {
                Some(l) => serve(store, secret, &args, l, file, &url).await,
                None => Ok(()),
            }
        }
        Command::Keys(KeysCmd::New { out }) => {
            config::create_key_file(&out)?;
            println!("wrote a new secret key to {}", out.display());
            Ok(())
        }
        Command::Keys(KeysCmd::Rotate {
            previous_key_file,
            batch,
        }) => {
            let url = cli
                .database_url
                .unwrap_or_else(|| "sqlite://gugus.db".into());
            let key = cli
                .secret_key_file
                .as_deref()
                .context("name the new key with --secret-key-file or GUGUS_SECRET_KEY_FILE")?;
            let current = config::read_key_file(key)?;
            let previous = config::read_key_file(&previous_key_file)?;
            if current == previous {
                bail!("the new and the previous key are the same file contents");
            }
            let keyring = store::crypto::Keyring::new(&current, Some(&previous))?;
            let store = open(&url, durability).await?.with_keyring(keyring);
            let stats = store
                .rotate_keys(&Actor::system(UnitId(1)), batch.max(1))
                .await?;
            println!(
                "re-encrypted {} victims, {} case chronologies, {} perpetrators, {} recovery notes and files, {} break-the-glass reasons, {} review notes and {} complaint texts under the new key",
                stats.victims,
                stats.cases,
                stats.perpetrators,
                stats.recovery,
                stats.grants,
                stats.review,
                stats.complaints
            );
            Ok(())
        }
        Command::Bench(BenchCmd::Synthetic { epsilon, runs }) => {
            let store = open_keyed(
                cli.database_url.as_deref(),
                cli.secret_key_file.as_deref(),
                durability,
            )
            .await?;
            bench::synthetic(&store, epsilon, runs).await
        }
        Command::Bench(BenchCmd::Cases { inserts, queries }) => {
            let store = open_keyed(
                cli.database_url.as_deref(),
                cli.secret_key_file.as_deref(),
                durability,
            )
            .await?;
            bench::cases(&store, inserts, queries).await
        }
        #[cfg(feature = "bench")]
        Command::Bench(BenchCmd::Tasks {
            unit,
            services,
            referrals,
            seed,
            queries,
            deep_page,
        }) => {
            let store = open_keyed(
                cli.database_url.as_deref(),
                cli.secret_key_file.as_deref(),
                durability,
            )
            .await?;
            let unit = match unit.parse::<i64>() {
                Ok(id) => {
                    store
                        .unit(&Actor::system(UnitId(1)), UnitId(id))
                        .await
                        .map_err(config::describe_store)?
                        .name
                }
                Err(_) => unit,
            };
            bench::tasks(&store, &unit, services, referrals, seed, queries, deep_page).await
        }
        #[cfg(feature = "bench")]
        Command::Bench(BenchCmd::Floor { listen }) => {
            let store = open_keyed(
                cli.database_url.as_deref(),
                cli.secret_key_file.as_deref(),
                durability,
            )
            .await?;
            bench::floor(store, listen).await
        }
        Command::Linkage(LinkageCmd::TrainDefault { input, out }) => {
            linkage_cli::train_default(&input, &out)
        }
        Command::Linkage(LinkageCmd::Run) => {
            let store = open_keyed(
                cli.database_url.as_deref(),
                cli.secret_key_file.as_deref(),
                durability,
            )
            .await?;
            linkage_cli::run(&store, &Actor::system(UnitId(1))).await
        }
        Command::Bench(BenchCmd::Linkage { input, json }) => {
            print!("{}", linkage::bench::run(&input, json.as_deref())?);
            Ok(())
        }
        Command::Generate { cases, seed } => {
            let store = open_keyed(
                cli.database_url.as_deref(),
                cli.secret_key_file.as_deref(),
                durability,
            )
            .await?;
            let stats = generate::generate(&store, cases, seed, true).await?;
            println!(
                "generated {} cases in {:.1} s ({:.0} cases/s); the database now holds {} cases",
                stats.cases,
                stats.seconds,
                stats.cases as f64 / stats.seconds.max(0.001),
                store.count_cases().await?
            );
            Ok(())
        }
        Command::Migrate => {
            let url = cli
                .database_url
                .unwrap_or_else(|| "sqlite://gugus.db".into());
            let store = open(&url, durability).await?;
            println!("database is up to date ({})", store.backend().as_str());
            Ok(())
        }
        Command::User(cmd) => {
            let url = cli
                .database_url
                .unwrap_or_else(|| "sqlite://gugus.db".into());
            let store = open(&url, durability).await?;
            user_cmd(&store, cmd).await
        }
        Command::Audit(cmd) => {
            let url = cli
                .database_url
                .unwrap_or_else(|| "sqlite://gugus.db".into());
            let key_file = cli.secret_key_file.as_deref();
            let file =
                config::checkpoint_path(cli.audit_checkpoint_file.as_deref(), key_file, &url);
            let previous = match &cmd {
                AuditCmd::Verify {
                    previous_key_file: Some(p),
                    ..
                } => Some(config::read_key_file(p)?),
                _ => None,
            };
            let store = Store::connect_with(&url, durability).await?;
            match cmd {
                AuditCmd::Verify { checkpoints, .. } => {
                    let keyring = audit_cli::keyring_for_verify(key_file, &url, previous)?;
                    let store = match keyring {
                        Some(k) => store.with_keyring(k),
                        None => store,
                    };
                    audit_cli::verify(&store, &file, &checkpoints).await
                }
                AuditCmd::Checkpoint => {
                    let secret = config::read_secret(key_file, &url)?;
                    let keyring = store::crypto::Keyring::new(&secret, None)?;
                    audit_cli::checkpoint(&store.with_keyring(keyring), &file).await
                }
            }
        }
        Command::Check => {
            let url = cli
                .database_url
                .unwrap_or_else(|| "sqlite://gugus.db".into());
            let secret = config::read_secret(cli.secret_key_file.as_deref(), &url)?;
            let store = Store::connect_with(&url, durability)
                .await?
                .with_keyring(store::crypto::Keyring::new(&secret, None)?);
            store.ping().await?;
            let integrity = store.integrity_check(false).await?;
            if !integrity.ok {
                bail!(
                    "database integrity check failed ({}): {}",
                    integrity.method,
                    integrity.detail
                );
            }
            println!("integrity: ok ({})", integrity.method);
            let counts = store.region_counts().await?;
            println!("database: ok ({})", store.backend().as_str());
            println!(
                "regions: {} provinces, {} regencies/cities, {} districts, {} villages",
                counts[0], counts[1], counts[2], counts[3]
            );
            if counts[3] == 0 {
                println!(
                    "note: the region reference is loaded on the first `gugus serve` or `gugus migrate`"
                );
            }
            if store.verify_key().await? {
                println!("secret key: ok (a stored identity decrypts with it)");
            } else {
                println!("secret key: ok (nothing encrypted yet to check it against)");
            }
            // Before the first migration the queue does not exist yet: nothing to say.
            if let Ok(q) = store.after_save_stats().await {
                println!(
                    "after-save queue: {} case(s) waiting for rule hits / the duplicate check",
                    q.waiting
                );
            }
            Ok(())
        }
    }
}

fn read_password() -> Result<String> {
    if std::io::stdin().is_terminal() {
        eprint!("Password (at least 10 characters): ");
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let pw = line.trim_end_matches(['\n', '\r']).to_owned();
    if pw.is_empty() {
        bail!("no password given on standard input");
    }
    Ok(pw)
}

async fn user_cmd(store: &Store, cmd: UserCmd) -> Result<()> {
    let actor = Actor::system(UnitId(1));
    let find = |username: String| async move {
        store
            .user_id_by_username(&username)
            .await?
            .with_context(|| format!("no account named {username}"))
    };
    match cmd {
        UserCmd::Add {
            username,
            name,
            role,
            unit,
            email,
        } => {
            let unit_id = match unit.parse::<i64>() {
                Ok(id) => id,
                Err(_) => {
                    store
                        .unit_id_by_name(&unit)
                        .await?
                        .with_context(|| format!("no unit named {unit}"))?
                        .0
                }
            };
            let password = read_password()?;
            let new = domain::user::NewUser::parse(
                &username,
                &name,
                &email,
                &unit_id.to_string(),
                &role,
                &password,
            )
            .map_err(config::describe_invalid)?;
            let id = store
                .create_user(&actor, &new)
                .await
                .map_err(config::describe_store)?;
            println!("created account {} (id {id})", new.username.as_str());
        }
        UserCmd::Passwd { username } => {
            let id = find(username.clone()).await?;
            let password = read_password()?;
            store
                .reset_password(&actor, id, &password)
                .await
                .map_err(config::describe_store)?;
            println!("password changed for {username}; its sessions have ended");
        }
        UserCmd::Disable { username } => {
            store
                .set_user_disabled(&actor, find(username.clone()).await?, true)
                .await?;
            println!("disabled {username}");
        }
        UserCmd::Enable { username } => {
            store
                .set_user_disabled(&actor, find(username.clone()).await?, false)
                .await?;
            println!("enabled {username}");
        }
        UserCmd::List => {
            println!(
                "{:<6} {:<28} {:<16} {:<8} UNIT",
                "ID", "USERNAME", "ROLE", "STATUS"
            );
            for u in store.list_users(&actor).await? {
                let status = if u.disabled { "disabled" } else { "active" };
                println!(
                    "{:<6} {:<28} {:<16} {:<8} {}",
                    u.id,
                    u.username,
                    u.role.as_str(),
                    status,
                    u.unit_name
                );
            }
        }
    }
    Ok(())
}
