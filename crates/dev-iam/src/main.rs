//! `dev-iam`: the local IAM of the dev stack. Never deployed to production.
//!
//! Environment: `PORT` (default 8000), `DEV_IAM_BIND` (listen address, default 127.0.0.1;
//! set 0.0.0.0 inside a container), `DEV_IAM_ISSUER` (default `http://localhost:8000`),
//! `DEV_IAM_KEY_DIR` (default `.devstack/iam`), `DEV_IAM_CONFIG` (a directory file, see the
//! library documentation), `DEV_IAM_TOKEN_TTL_SECS` (default 3600), `RUST_LOG`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use dev_iam::{DevIam, DevIamConfig};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("dev-iam: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let port: u16 = match std::env::var("PORT") {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .map_err(|_| format!("PORT: expected a port number, got {v:?}"))?,
        _ => 8000,
    };
    let ip: IpAddr = match std::env::var("DEV_IAM_BIND") {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .map_err(|_| format!("DEV_IAM_BIND: expected an IP address, got {v:?}"))?,
        _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
    };
    let config = DevIamConfig::from_env().map_err(|e| e.to_string())?;
    let iam = DevIam::new(config).map_err(|e| e.to_string())?;

    let addr = SocketAddr::new(ip, port);
    let listener = TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            format!("cannot listen on {addr}: the port is already in use (set PORT to use another)")
        } else {
            format!("cannot listen on {addr}: {e}")
        }
    })?;

    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    tracing::info!(%addr, issuer = iam.issuer(), kid = iam.kid(), "dev-iam listening");
    iam.serve(listener, shutdown)
        .await
        .map_err(|e| format!("server error: {e}"))?;
    tracing::info!("dev-iam stopped");
    Ok(())
}

async fn cancel_on_signal(shutdown: CancellationToken) {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
    shutdown.cancel();
}
