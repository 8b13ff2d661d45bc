//! `devdb up [--test]` prints shell exports for a reachable PostgreSQL (starting the local
//! cluster if needed), `devdb down` stops the local cluster, `devdb scratch NAME...` makes fresh
//! migrated databases for the query macros (scripts/sqlx-prepare).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};

const USAGE: &str = "usage: devdb up [--test] | devdb down | devdb scratch SERVICE...";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("devdb: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn state_dir() -> PathBuf {
    std::env::var_os("DEVSTACK_DIR").map_or_else(|| PathBuf::from(".devstack"), PathBuf::from)
}

async fn run(args: Vec<String>) -> anyhow::Result<()> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["up", rest @ ..] => {
            let fast = rest.contains(&"--test");
            let server = devdb::ensure(&state_dir(), fast).await?;
            println!("export DATABASE_URL='{}'", server.admin_url);
            if server.cluster.as_ref().is_some_and(|c| c.started_here) {
                println!("export DEVSTACK_PG_STARTED=1");
            }
            Ok(())
        }
        ["down"] => {
            if devdb::Cluster::stop_in(&state_dir())? {
                eprintln!("devdb: cluster stopped");
            }
            Ok(())
        }
        ["scratch", names @ ..] if !names.is_empty() => scratch(names).await,
        _ => bail!("{USAGE}"),
    }
}

async fn scratch(names: &[&str]) -> anyhow::Result<()> {
    let server = devdb::ensure(&state_dir(), true).await?;
    for name in names {
        if !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            bail!("service names are lowercase letters: {name}");
        }
        let db = format!("sqlx_prepare_{name}");
        devdb::recreate_database(&server, &db).await?;
        let url = server.database_url(&db)?;
        let dir = Path::new("migrations").join(name);
        let migrator = sqlx::migrate::Migrator::new(dir.as_path())
            .await
            .with_context(|| format!("reading {}", dir.display()))?;
        let pool = sqlx::PgPool::connect(&url).await?;
        migrator
            .run(&pool)
            .await
            .with_context(|| format!("migrating {db}"))?;
        pool.close().await;
        println!("export SCRATCH_{}='{url}'", name.to_ascii_uppercase());
    }
    Ok(())
}
