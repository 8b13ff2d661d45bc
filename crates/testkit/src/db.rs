//! The database role the services run as under test: not a superuser, no BYPASSRLS, so the
//! tenant policies bind the services exactly as in production. `#[sqlx::test]` hands a test a
//! fresh database migrated by the superuser of `DATABASE_URL`; [`service_pool`] gives the same
//! database as the service role, for the service to use, while the test keeps the superuser
//! pool to look behind the service's back.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

/// The role every service under test connects as (cluster-wide; created once, reused).
pub const SERVICE_ROLE: &str = "liquidity_service";
const SERVICE_PASSWORD: &str = "liquidity-service-dev";

/// `pool`'s database as [`SERVICE_ROLE`]: the role is created if missing and granted what a
/// service needs on this database (its own tables; nothing that bypasses the policies).
pub async fn service_pool(pool: &PgPool) -> PgPool {
    ensure_role(pool).await;
    // Identifiers cannot be bound; the role is our constant.
    for grant in [
        // CREATE: a service binary started on the database runs its migrator, which makes
        // sure its ledger table exists (it does; nothing else is created).
        format!("GRANT USAGE, CREATE ON SCHEMA public TO {SERVICE_ROLE}"),
        format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {SERVICE_ROLE}"
        ),
        format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {SERVICE_ROLE}"),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(grant))
            .execute(pool)
            .await
            .expect("granting the service role");
    }
    let options = (*pool.connect_options())
        .clone()
        .username(SERVICE_ROLE)
        .password(SERVICE_PASSWORD)
        .application_name("service-under-test");
    PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(options)
        .await
        .expect("connecting as the service role")
}

/// Creates the role unless it exists. Test binaries run in parallel against one server and
/// roles are cluster-wide, so a concurrent creator's error is expected and ignored.
async fn ensure_role(pool: &PgPool) {
    for _ in 0..20 {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
                .bind(SERVICE_ROLE)
                .fetch_one(pool)
                .await
                .expect("reading pg_roles");
        if exists {
            return;
        }
        let create = format!(
            "CREATE ROLE {SERVICE_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE \
             PASSWORD '{SERVICE_PASSWORD}'"
        );
        match sqlx::query(sqlx::AssertSqlSafe(create)).execute(pool).await {
            Ok(_) => return,
            Err(e) => {
                let code = e
                    .as_database_error()
                    .and_then(|d| d.code())
                    .map(|c| c.into_owned());
                // duplicate_object, unique_violation, "tuple concurrently updated" (XX000).
                if !matches!(code.as_deref(), Some("42710" | "23505" | "XX000")) {
                    panic!("creating the service role: {e}");
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    panic!("the service role {SERVICE_ROLE} could not be created");
}

/// A database of its own for a test that runs several services (each service owns its
/// database): created and migrated like `#[sqlx::test]`'s, dropped when this is dropped.
pub struct ExtraDatabase {
    /// The superuser's pool, for looking behind the service.
    pub admin: PgPool,
    /// The service role's pool, for the service ([`service_pool`]).
    pub service: PgPool,
    name: String,
    server_url: String,
}

impl ExtraDatabase {
    pub async fn create(migrator: &sqlx::migrate::Migrator) -> Self {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let server_url = std::env::var("DATABASE_URL")
            .expect("DATABASE_URL names the PostgreSQL server of the tests");
        let name = format!(
            "testkit_{}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            uuid_suffix()
        );
        let server = PgPoolOptions::new()
            .max_connections(1)
            .connect(&server_url)
            .await
            .expect("connecting to DATABASE_URL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&server)
            .await
            .expect("creating a test database");
        server.close().await;
        let options = server_url
            .parse::<sqlx::postgres::PgConnectOptions>()
            .expect("DATABASE_URL")
            .database(&name);
        let admin = PgPoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .expect("connecting to the test database");
        migrator
            .run(&admin)
            .await
            .expect("migrating the test database");
        let service = service_pool(&admin).await;
        Self {
            admin,
            service,
            name,
            server_url,
        }
    }
}

fn uuid_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{nanos:x}")
}

impl Drop for ExtraDatabase {
    fn drop(&mut self) {
        // The test's runtime may be gone: drop the database from a thread of its own.
        let name = self.name.clone();
        let url = self.server_url.clone();
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(pool) = PgPoolOptions::new().max_connections(1).connect(&url).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&pool)
                    .await;
                    pool.close().await;
                }
            });
        })
        .join();
    }
}

/// The URL a separate process (a service binary under test) connects to `pool`'s database
/// with, as [`SERVICE_ROLE`]. Call [`service_pool`] first so the role has its grants.
pub fn service_url(pool: &PgPool) -> String {
    let o = pool.connect_options();
    format!(
        "postgres://{SERVICE_ROLE}:{SERVICE_PASSWORD}@{}:{}/{}",
        o.get_host(),
        o.get_port(),
        o.get_database().unwrap_or("postgres")
    )
}
