//! Database pool and migrations.

use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::config::CommonConfig;

pub async fn connect(config: &CommonConfig) -> anyhow::Result<PgPool> {
    let options: PgConnectOptions = config
        .database_url
        .expose()
        .parse()
        .context("DATABASE_URL is not a valid PostgreSQL URL")?;
    let options = options.application_name(config.service);
    let deadline = Instant::now() + config.db_connect_timeout;
    let mut delay = Duration::from_millis(200);
    loop {
        let attempt = PgPoolOptions::new()
            .max_connections(config.db_max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options.clone())
            .await;
        match attempt {
            Ok(pool) => return Ok(pool),
            Err(e) if Instant::now() + delay < deadline => {
                tracing::warn!(error = %e, "database not reachable yet; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(3));
            }
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "could not connect to the database at {}:{}/{} (DATABASE_URL)",
                        options.get_host(),
                        options.get_port(),
                        options.get_database().unwrap_or("?")
                    )
                });
            }
        }
    }
}

/// Applies pending migrations. PostgreSQL's advisory lock (taken by sqlx) lets several
/// replicas start at once.
pub async fn migrate(pool: &PgPool, migrator: &Migrator) -> anyhow::Result<()> {
    migrator
        .run(pool)
        .await
        .context("database migration failed")
}

/// Versions the binary expects that the database has not applied successfully.
pub async fn pending_migrations(
    pool: &PgPool,
    migrator: &Migrator,
) -> Result<Vec<i64>, sqlx::Error> {
    let applied: Vec<i64> =
        sqlx::query_scalar!(r#"SELECT version AS "version!" FROM _sqlx_migrations WHERE success"#)
            .fetch_all(pool)
            .await?;
    Ok(migrator
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .map(|m| m.version)
        .filter(|v| !applied.contains(v))
        .collect())
}
