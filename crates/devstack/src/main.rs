//! `cargo run --release --bin devstack`: the whole local stack in the foreground.
//!
//! PostgreSQL (DATABASE_URL's server, or a cluster of our own under `.devstack/pg`), the three
//! databases, the dev IAM on 8000, ATS on 8080, BD on 8090 and TA on 8100, each migrated. Prints
//! one line containing `ready` once every `/readyz` answers 200; Ctrl-C or SIGTERM stops
//! everything it started.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use platform::config::Env;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

struct Ports {
    iam: u16,
    ats: u16,
    bd: u16,
    ta: u16,
}

#[tokio::main]
async fn main() -> ExitCode {
    platform::install_crypto_provider();
    platform::telemetry::init(
        platform::telemetry::LogFormat::Pretty,
        "info,sqlx=warn,tower_http=warn",
    );
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") || !args.is_empty() {
        eprintln!(
            "usage: devstack\n\nStarts PostgreSQL, the dev IAM, ATS, BD and TA in the foreground; Ctrl-C stops them.\n\
             Ports: IAM_PORT (8000), ATS_PORT (8080), BD_PORT (8090), TA_PORT (8100). State: DEVSTACK_DIR (.devstack)."
        );
        return if args.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(2)
        };
    }
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("devstack: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn port(var: &str, default: u16) -> anyhow::Result<u16> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .map_err(|_| anyhow!("{var}={v:?} is not a port number")),
        _ => Ok(default),
    }
}

/// Binds every port before anything starts, so a taken port fails at once with its name.
async fn bind_all(ports: &Ports) -> anyhow::Result<[TcpListener; 4]> {
    let bind = |p: u16, what: &'static str, var: &'static str| async move {
        TcpListener::bind(("0.0.0.0", p)).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                anyhow!("port {p} ({what}) is already in use: stop what uses it (an earlier devstack?) or set {var}")
            } else {
                anyhow!("cannot listen on port {p} ({what}): {e}")
            }
        })
    };
    Ok([
        bind(ports.iam, "dev IAM", "IAM_PORT").await?,
        bind(ports.ats, "ATS", "ATS_PORT").await?,
        bind(ports.bd, "BD", "BD_PORT").await?,
        bind(ports.ta, "TA", "TA_PORT").await?,
    ])
}

async fn run() -> anyhow::Result<()> {
    let state_dir =
        std::env::var_os("DEVSTACK_DIR").map_or_else(|| PathBuf::from(".devstack"), PathBuf::from);
    let ports = Ports {
        iam: port("IAM_PORT", 8000)?,
        ats: port("ATS_PORT", 8080)?,
        bd: port("BD_PORT", 8090)?,
        ta: port("TA_PORT", 8100)?,
    };
    let [iam_l, ats_l, bd_l, ta_l] = bind_all(&ports).await?;

    let shutdown = CancellationToken::new();
    {
        let s = shutdown.clone();
        tokio::spawn(async move {
            platform::app::wait_for_signal().await;
            s.cancel();
        });
    }

    let server = devdb::ensure(&state_dir, false).await?;
    let cluster = server.cluster.clone().filter(|c| c.started_here);
    let result = run_services(
        &server,
        &state_dir,
        &ports,
        [iam_l, ats_l, bd_l, ta_l],
        &shutdown,
    )
    .await;
    if let Some(c) = cluster {
        tracing::info!("stopping PostgreSQL");
        if let Err(e) = tokio::task::spawn_blocking(move || c.stop()).await? {
            eprintln!("devstack: {e:#}");
        }
    }
    result
}

async fn run_services(
    server: &devdb::Server,
    state_dir: &std::path::Path,
    ports: &Ports,
    listeners: [TcpListener; 4],
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    devdb::create_databases(server, &["ats", "bd", "ta"]).await?;
    // Each service connects as a role of its own that owns its database and cannot bypass
    // row-level security, as in production (docs/operations.md, "Database roles").
    let mut database_urls = HashMap::new();
    for name in ["ats", "bd", "ta"] {
        let url =
            devdb::ensure_service_role(server, name, name, &format!("{name}-dev-password")).await?;
        database_urls.insert(name, url);
    }
    let [iam_l, ats_l, bd_l, ta_l] = listeners;

    let issuer = format!("http://localhost:{}", ports.iam);
    let mut iam_config = dev_iam::DevIamConfig::from_env().context("dev IAM configuration")?;
    iam_config.issuer = issuer.clone();
    if std::env::var_os("DEV_IAM_KEY_DIR").is_none() {
        iam_config.key_dir = Some(state_dir.join("iam"));
    }
    let iam = tokio::task::spawn_blocking(move || dev_iam::DevIam::new(iam_config))
        .await?
        .context("starting the dev IAM")?;

    let mut tasks: JoinSet<(&'static str, anyhow::Result<()>)> = JoinSet::new();
    {
        let s = shutdown.clone();
        tasks.spawn(async move { ("dev IAM", iam.serve(iam_l, s).await.map_err(Into::into)) });
    }

    let base: HashMap<String, String> = std::env::vars().collect();
    let service_env = |name: &str, port: u16| -> anyhow::Result<Env> {
        let mut vars = base.clone();
        let url = database_urls
            .get(name)
            .ok_or_else(|| anyhow!("no database for {name}"))?;
        vars.insert("DATABASE_URL".into(), url.clone());
        vars.insert("PORT".into(), port.to_string());
        vars.insert("IAM_URL".into(), format!("http://127.0.0.1:{}", ports.iam));
        vars.insert("IAM_ISSUER".into(), issuer.clone());
        vars.insert("ATS_URL".into(), format!("http://127.0.0.1:{}", ports.ats));
        vars.insert("BD_URL".into(), format!("http://127.0.0.1:{}", ports.bd));
        vars.insert("TA_URL".into(), format!("http://127.0.0.1:{}", ports.ta));
        vars.entry("ATS_SETTLEMENT_INTERVAL_SECS".into())
            .or_insert_with(|| "2".into());
        // The local venue reports its trades on Form T, so the BD's CAT trades carry
        // reportingExceptionCode F (compliance::cat); without it they are listed as exceptions.
        vars.entry("CAT_REPORTING_EXCEPTION_CODE".into())
            .or_insert_with(|| "F".into());
        Ok(Env::from_map(vars))
    };
    let ats_cfg =
        ats::Config::from_source(service_env("ats", ports.ats)?).context("ATS configuration")?;
    let bd_cfg =
        bd::Config::from_source(service_env("bd", ports.bd)?).context("BD configuration")?;
    let ta_cfg =
        ta::Config::from_source(service_env("ta", ports.ta)?).context("TA configuration")?;

    // The services were handed bound listeners: the ports were checked before anything began.
    {
        let s = shutdown.clone();
        tasks.spawn(async move { ("ATS", ats::serve(ats_cfg, ats_l, s).await) });
        let s = shutdown.clone();
        tasks.spawn(async move { ("BD", bd::serve(bd_cfg, bd_l, s).await) });
        let s = shutdown.clone();
        tasks.spawn(async move { ("TA", ta::serve(ta_cfg, ta_l, s).await) });
    }
    // The local EVM chain and the platform's contracts start here with the settlement issue.

    let urls = [
        (
            "dev IAM",
            format!(
                "http://127.0.0.1:{}/.well-known/openid-configuration",
                ports.iam
            ),
        ),
        ("ATS", format!("http://127.0.0.1:{}/readyz", ports.ats)),
        ("BD", format!("http://127.0.0.1:{}/readyz", ports.bd)),
        ("TA", format!("http://127.0.0.1:{}/readyz", ports.ta)),
    ];
    let mut first_error = None;
    tokio::select! {
        r = wait_ready(&urls) => match r {
            Ok(()) => println!(
                "devstack: ready — IAM http://localhost:{} · ATS http://localhost:{} · BD http://localhost:{} · TA http://localhost:{} (Ctrl-C stops)",
                ports.iam, ports.ats, ports.bd, ports.ta
            ),
            Err(e) => first_error = Some(e),
        },
        Some(done) = tasks.join_next() => first_error = task_error(done, shutdown),
        () = shutdown.cancelled() => {}
    }
    if first_error.is_none() && !shutdown.is_cancelled() {
        tokio::select! {
            () = shutdown.cancelled() => {}
            Some(done) = tasks.join_next() => first_error = task_error(done, shutdown),
        }
    }
    tracing::info!("stopping");
    shutdown.cancel();
    while let Some(done) = tasks.join_next().await {
        if let Ok((name, Err(e))) = done {
            eprintln!("devstack: {name}: {e:#}");
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// A task that ends before shutdown was asked for is a failure; one ending after is expected.
fn task_error(
    done: Result<(&'static str, anyhow::Result<()>), tokio::task::JoinError>,
    shutdown: &CancellationToken,
) -> Option<anyhow::Error> {
    match done {
        Ok((_, Ok(()))) if shutdown.is_cancelled() => None,
        Ok((name, Ok(()))) => Some(anyhow!("{name} stopped unexpectedly")),
        Ok((name, Err(e))) => Some(e.context(format!("{name} failed"))),
        Err(e) => Some(anyhow!("a service crashed: {e}")),
    }
}

async fn wait_ready(urls: &[(&str, String)]) -> anyhow::Result<()> {
    let http = platform::client::http_client()?;
    let deadline = Instant::now() + Duration::from_secs(120);
    for (name, url) in urls {
        loop {
            let ok = http
                .get(url)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ok {
                break;
            }
            if Instant::now() > deadline {
                bail!("{name} did not become ready ({url})");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(())
}
