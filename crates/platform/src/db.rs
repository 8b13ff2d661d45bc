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

// ---------------------------------------------------------------------------------------------
// Tenancy. Every tenant table carries `organization_id` under a row-level security policy that
// shows a transaction the rows of the organization it set (`app.organization_id`) and nothing
// else; a write naming another organization is refused by PostgreSQL itself. Queries still
// filter on `organization_id` (the policy is the net under a forgotten `WHERE`, and the filter
// lets the planner use the indexes).
//
// The policy every migration applies (see migrations/platform/README.md):
//
//     ALTER TABLE t ENABLE ROW LEVEL SECURITY;
//     ALTER TABLE t FORCE ROW LEVEL SECURITY;
//     CREATE POLICY tenant ON t USING (
//         organization_id = current_setting('app.organization_id', true)
//         OR current_setting('app.all_organizations', true) = 'on');
// ---------------------------------------------------------------------------------------------

/// The setting naming the organization a transaction acts for.
pub const ORGANIZATION_SETTING: &str = "app.organization_id";
/// The setting that lets a transaction see every organization (jobs, provider webhooks).
pub const ALL_ORGANIZATIONS_SETTING: &str = "app.all_organizations";

/// A transaction acting for one organization: PostgreSQL shows it that organization's rows
/// only, and the store functions read the organization to filter on from it. Rolled back when
/// dropped without [`TenantTx::commit`].
pub struct TenantTx {
    tx: sqlx::Transaction<'static, sqlx::Postgres>,
    organization_id: String,
}

impl TenantTx {
    /// The organization the transaction acts for.
    pub fn org(&self) -> &str {
        &self.organization_id
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for TenantTx {
    type Target = sqlx::PgConnection;
    fn deref(&self) -> &sqlx::PgConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for TenantTx {
    fn deref_mut(&mut self) -> &mut sqlx::PgConnection {
        &mut self.tx
    }
}

/// The one way to open a transaction for an organization: `BEGIN` and the organization's
/// setting (local to the transaction, so a pooled connection never carries it to the next
/// user) in one round trip.
pub async fn begin(pool: &PgPool, organization_id: &str) -> Result<TenantTx, sqlx::Error> {
    begin_as(pool, organization_id, "BEGIN").await
}

/// A read-only tenant transaction that sees one snapshot of the database for all its
/// statements (`REPEATABLE READ READ ONLY`, set in the same round trip as the organization):
/// for answers assembled from several queries, without locking anything a writer needs.
pub async fn begin_snapshot(pool: &PgPool, organization_id: &str) -> Result<TenantTx, sqlx::Error> {
    begin_as(
        pool,
        organization_id,
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    )
    .await
}

async fn begin_as(
    pool: &PgPool,
    organization_id: &str,
    begin: &str,
) -> Result<TenantTx, sqlx::Error> {
    if organization_id.is_empty() || organization_id.contains('\0') {
        // The authenticator never yields such an organization; refuse rather than set it.
        return Err(sqlx::Error::Protocol(
            "an organization id must be non-empty text".into(),
        ));
    }
    let statement = format!(
        "{begin}; SELECT set_config('{ORGANIZATION_SETTING}', {}, true)",
        quote_literal(organization_id)
    );
    let tx = pool.begin_with(sqlx::AssertSqlSafe(statement)).await?;
    Ok(TenantTx {
        tx,
        organization_id: organization_id.to_owned(),
    })
}

/// The one path that crosses organizations, for work that is not a tenant's request: the
/// background jobs (each then acts per row's `organization_id`) and a provider's webhook (which
/// names its applicant, not a tenant). `why` is logged, so every use is visible. Nothing a
/// tenant sends may reach this function.
pub async fn begin_all_organizations(
    pool: &PgPool,
    why: &'static str,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    tracing::trace!(why, "transaction across organizations");
    pool.begin_with(sqlx::AssertSqlSafe(format!(
        "BEGIN; SELECT set_config('{ALL_ORGANIZATIONS_SETTING}', 'on', true)"
    )))
    .await
}

/// A SQL string literal of `s` in the escape form (`E'…'`), right whatever
/// `standard_conforming_strings` says: backslashes and quotes are doubled.
fn quote_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    out.push_str("E'");
    for c in s.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// How the service's database role stands towards row-level security.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleStanding {
    pub role: String,
    pub superuser: bool,
    pub bypass_rls: bool,
}

impl RoleStanding {
    pub fn bypasses_rls(&self) -> bool {
        self.superuser || self.bypass_rls
    }

    /// What an operator reads when the role would make the policies moot.
    pub fn problem(&self) -> Option<String> {
        let why = match (self.superuser, self.bypass_rls) {
            (true, _) => "a superuser",
            (false, true) => "a role with BYPASSRLS",
            (false, false) => return None,
        };
        Some(format!(
            "DATABASE_URL connects as role \"{}\", {why}, which bypasses row-level security and \
             with it the isolation of organizations; connect as a role created with \
             NOSUPERUSER NOBYPASSRLS (docs/operations.md, \"Database roles\")",
            self.role
        ))
    }
}

pub async fn role_standing(pool: &PgPool) -> Result<RoleStanding, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT rolname AS "role!", rolsuper AS "superuser!", rolbypassrls AS "bypass_rls!"
           FROM pg_roles WHERE rolname = current_user"#
    )
    .fetch_one(pool)
    .await?;
    Ok(RoleStanding {
        role: row.role,
        superuser: row.superuser,
        bypass_rls: row.bypass_rls,
    })
}

/// At start: in production a role that bypasses row-level security stops the service with the
/// fix; elsewhere (the local stack's superuser, say) it is a warning.
pub async fn check_role(pool: &PgPool, app_env: crate::config::AppEnv) -> anyhow::Result<()> {
    let standing = role_standing(pool)
        .await
        .context("reading the database role")?;
    if let Some(problem) = standing.problem() {
        if app_env == crate::config::AppEnv::Production {
            anyhow::bail!(problem);
        }
        tracing::warn!("{problem}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_quoted_whatever_they_hold() {
        assert_eq!(quote_literal("acme"), "E'acme'");
        assert_eq!(quote_literal("o'brien"), "E'o''brien'");
        assert_eq!(quote_literal(r"a\'; DROP"), r"E'a\\''; DROP'");
    }

    #[test]
    fn roles_that_bypass_are_named_with_the_fix() {
        let s = |superuser, bypass_rls| RoleStanding {
            role: "svc".into(),
            superuser,
            bypass_rls,
        };
        assert!(s(false, false).problem().is_none());
        assert!(s(true, false).problem().unwrap().contains("superuser"));
        let p = s(false, true).problem().unwrap();
        assert!(p.contains("BYPASSRLS") && p.contains("NOBYPASSRLS"), "{p}");
    }
}
