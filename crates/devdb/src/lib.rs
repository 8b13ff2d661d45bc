//! The local PostgreSQL: the server `DATABASE_URL` names when it answers, otherwise a cluster
//! of our own under `.devstack/pg`, made and run with the machine's `initdb`/`pg_ctl`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, PgPool};

/// Where the databases live, and whether we must stop the server at the end.
#[derive(Debug, Clone)]
pub struct Server {
    /// URL of the maintenance database (`postgres`), e.g. for `DATABASE_URL` of `#[sqlx::test]`.
    pub admin_url: String,
    /// `Some` when this process (or an earlier `devstack postgres up`) runs our own cluster.
    pub cluster: Option<Cluster>,
}

impl Server {
    /// The URL of database `name` on this server.
    pub fn database_url(&self, name: &str) -> anyhow::Result<String> {
        replace_database(&self.admin_url, name)
    }
}

#[derive(Debug, Clone)]
pub struct Cluster {
    pub dir: PathBuf,
    pub bin: PathBuf,
    pub port: u16,
    /// Whether this call started it (a cluster found running is left running).
    pub started_here: bool,
}

/// `DATABASE_URL` if set and reachable, else our own cluster under `state_dir/pg`.
/// `fast` trades crash safety for speed (fsync off): for throwaway test clusters only.
pub async fn ensure(state_dir: &Path, fast: bool) -> anyhow::Result<Server> {
    if let Some(url) = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    {
        match reachable(&url).await {
            Ok(()) => {
                return Ok(Server {
                    admin_url: replace_database(&url, "postgres")?,
                    cluster: None,
                });
            }
            Err(e) => eprintln!(
                "devstack: DATABASE_URL is not reachable ({e}); starting a cluster of its own instead"
            ),
        }
    }
    let cluster = ensure_cluster(&state_dir.join("pg"), fast).await?;
    Ok(Server {
        admin_url: format!("postgres://postgres@127.0.0.1:{}/postgres", cluster.port),
        cluster: Some(cluster),
    })
}

async fn reachable(url: &str) -> anyhow::Result<()> {
    let opts: PgConnectOptions = url.parse().context("not a PostgreSQL URL")?;
    let conn = tokio::time::timeout(Duration::from_secs(3), opts.connect())
        .await
        .map_err(|_| anyhow!("timed out"))??;
    conn.close().await?;
    Ok(())
}

fn replace_database(url: &str, db: &str) -> anyhow::Result<String> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base
        .find("://")
        .ok_or_else(|| anyhow!("DATABASE_URL has no scheme"))?
        + 3;
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    Ok(match query {
        Some(q) => format!("{host_part}/{db}?{q}"),
        None => format!("{host_part}/{db}"),
    })
}

/// Creates each database that does not exist yet.
pub async fn create_databases(server: &Server, names: &[&str]) -> anyhow::Result<()> {
    let pool = admin_pool(&server.admin_url).await?;
    for name in names {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(name)
                .fetch_one(&pool)
                .await?;
        if !exists {
            // Identifiers cannot be bound; the names are our own constants.
            let sql = format!("CREATE DATABASE \"{name}\"");
            if let Err(e) = sqlx::query(AssertSqlSafe(sql)).execute(&pool).await {
                // A concurrent creator (another devstack, a test) is fine.
                let dup = e.as_database_error().and_then(|d| d.code()).as_deref() == Some("42P04");
                if !dup {
                    return Err(e).with_context(|| format!("creating database {name}"));
                }
            }
        }
    }
    pool.close().await;
    Ok(())
}

/// Makes `role` (a login without SUPERUSER or BYPASSRLS, so the tenant policies bind it) the
/// owner of database `name` and of everything in its `public` schema, and answers the URL a
/// service connects with. Objects an earlier run created as the superuser are handed over, so
/// a cluster made before the services had roles of their own keeps working.
pub async fn ensure_service_role(
    server: &Server,
    name: &str,
    role: &str,
    password: &str,
) -> anyhow::Result<String> {
    let ident = |s: &str| s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if !ident(name) || !ident(role) || password.contains('\'') {
        bail!("database and role names are lowercase letters and underscores: {name}, {role}");
    }
    let admin = admin_pool(&server.admin_url).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
            .bind(role)
            .fetch_one(&admin)
            .await?;
    // Identifiers and the password cannot be bound; all are checked above.
    let attributes =
        format!("LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD '{password}'");
    let statement = if exists {
        format!("ALTER ROLE {role} {attributes}")
    } else {
        format!("CREATE ROLE {role} {attributes}")
    };
    if let Err(e) = sqlx::query(AssertSqlSafe(statement)).execute(&admin).await {
        let dup = e.as_database_error().and_then(|d| d.code()).as_deref() == Some("42710");
        if !dup {
            return Err(e).with_context(|| format!("creating the role {role}"));
        }
    }
    sqlx::query(AssertSqlSafe(format!(
        "ALTER DATABASE \"{name}\" OWNER TO {role}"
    )))
    .execute(&admin)
    .await
    .with_context(|| format!("handing database {name} to {role}"))?;
    admin.close().await;

    let db = admin_pool(&server.database_url(name)?).await?;
    sqlx::query(AssertSqlSafe(format!(
        r#"DO $$
        DECLARE r record;
        BEGIN
            EXECUTE 'ALTER SCHEMA public OWNER TO {role}';
            FOR r IN SELECT c.oid::regclass AS obj, c.relkind FROM pg_class c
                     JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
                       AND pg_get_userbyid(c.relowner) <> '{role}'
            LOOP
                IF r.relkind = 'S' THEN
                    -- A sequence owned by a column moves with its table.
                    CONTINUE WHEN EXISTS (SELECT 1 FROM pg_depend d
                        WHERE d.objid = r.obj::oid AND d.deptype IN ('a', 'i'));
                    EXECUTE format('ALTER SEQUENCE %s OWNER TO {role}', r.obj);
                ELSIF r.relkind IN ('v', 'm') THEN
                    EXECUTE format('ALTER VIEW %s OWNER TO {role}', r.obj);
                ELSE
                    EXECUTE format('ALTER TABLE %s OWNER TO {role}', r.obj);
                END IF;
            END LOOP;
            FOR r IN SELECT p.oid::regprocedure AS obj FROM pg_proc p
                     JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> '{role}'
            LOOP
                EXECUTE format('ALTER FUNCTION %s OWNER TO {role}', r.obj);
            END LOOP;
        END $$"#
    )))
    .execute(&db)
    .await
    .with_context(|| format!("handing the objects of {name} to {role}"))?;
    db.close().await;
    with_user(&server.database_url(name)?, role, password)
}

/// `url` with its user (and password) replaced.
fn with_user(url: &str, user: &str, password: &str) -> anyhow::Result<String> {
    let scheme_end = url
        .find("://")
        .ok_or_else(|| anyhow!("DATABASE_URL has no scheme"))?
        + 3;
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let host = match rest[..authority_end].rfind('@') {
        Some(at) => &rest[at + 1..],
        None => rest,
    };
    Ok(format!("{}{user}:{password}@{host}", &url[..scheme_end]))
}

/// Drops (if present) and creates database `name`.
pub async fn recreate_database(server: &Server, name: &str) -> anyhow::Result<()> {
    let pool = admin_pool(&server.admin_url).await?;
    // Identifiers cannot be bound; callers pass our own fixed names.
    sqlx::query(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&pool)
    .await?;
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&pool)
        .await?;
    pool.close().await;
    Ok(())
}

async fn admin_pool(url: &str) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .with_context(|| format!("connecting to {}", redact(url)))
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}***{}", &url[..s + 3], &url[at..]),
        _ => url.to_owned(),
    }
}

/// Finds `initdb` and `pg_ctl`: on PATH, else the newest `/usr/lib/postgresql/*/bin`.
pub fn find_bin_dir() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() {
                return Ok(dir);
            }
        }
    }
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .collect();
    candidates.sort();
    candidates.pop().map(|(_, b)| b).ok_or_else(|| {
        anyhow!(
            "PostgreSQL's server binaries (initdb, pg_ctl) were not found on PATH or under \
             /usr/lib/postgresql/*/bin: install them (Debian/Ubuntu: apt install postgresql) \
             or set DATABASE_URL to a running server"
        )
    })
}

fn is_root() -> bool {
    // Without libc: root's effective uid shows in /proc/self/status ("Uid: r e s f").
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

/// PostgreSQL refuses to run as root: then every server command runs as `postgres`.
struct Runner {
    /// As root: `runuser` (util-linux), found on PATH or in the sbin directories a user's PATH
    /// often lacks, through which every server command runs as `postgres`.
    runuser: Option<PathBuf>,
}

impl Runner {
    fn new() -> anyhow::Result<Self> {
        if !is_root() {
            return Ok(Self { runuser: None });
        }
        let ok = Command::new("id")
            .arg("postgres")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            bail!(
                "running as root, and PostgreSQL refuses root: create a `postgres` user \
                 (useradd -r postgres), run as another user, or set DATABASE_URL"
            );
        }
        let runuser = find_runuser().ok_or_else(|| {
            anyhow::anyhow!(
                "running as root, PostgreSQL must run as `postgres`, and `runuser` was not \
                 found on PATH or in /usr/sbin or /sbin: install util-linux, run as \
                 another user, or set DATABASE_URL"
            )
        })?;
        Ok(Self {
            runuser: Some(runuser),
        })
    }

    fn command(&self, program: &Path) -> Command {
        if let Some(runuser) = &self.runuser {
            let mut c = Command::new(runuser);
            c.arg("-u").arg("postgres").arg("--").arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    fn run(&self, program: &Path, args: &[&str]) -> anyhow::Result<Output> {
        let out = self
            .command(program)
            .args(args)
            .output()
            .with_context(|| format!("running {}", program.display()))?;
        Ok(out)
    }

    /// Hands `dir` to the postgres user and checks it can really reach it (a checkout under
    /// a private home directory cannot be).
    fn prepare_dir(&self, dir: &Path) -> anyhow::Result<bool> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let Some(runuser) = &self.runuser else {
            return Ok(true);
        };
        let chown = Command::new("chown")
            .arg("-R")
            .arg("postgres:")
            .arg(dir)
            .status()
            .context("running chown")?;
        if !chown.success() {
            return Ok(false);
        }
        let probe = Command::new(runuser)
            .args(["-u", "postgres", "--", "test", "-w"])
            .arg(dir)
            .status()
            .with_context(|| format!("running {}", runuser.display()))?;
        Ok(probe.success())
    }
}

fn find_runuser() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|d| d.join("runuser"))
        .find(|p| p.is_file())
}

fn free_port() -> anyhow::Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?.port())
}

/// The port of a running cluster, from `postmaster.pid` (its fourth line).
fn running_port(data: &Path) -> Option<u16> {
    let pid_file = std::fs::read_to_string(data.join("postmaster.pid")).ok()?;
    pid_file.lines().nth(3)?.trim().parse().ok()
}

fn fallback_dir(preferred: &Path) -> PathBuf {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    preferred.hash(&mut h);
    std::env::temp_dir().join(format!("devstack-pg-{:016x}", h.finish()))
}

async fn ensure_cluster(preferred: &Path, fast: bool) -> anyhow::Result<Cluster> {
    let bin = find_bin_dir()?;
    let runner = Runner::new()?;
    let preferred = std::path::absolute(preferred)?;
    let dir = if runner.prepare_dir(&preferred)? {
        preferred
    } else {
        let alt = fallback_dir(&preferred);
        eprintln!(
            "devstack: the postgres user cannot write {}; keeping the cluster in {} instead",
            preferred.display(),
            alt.display()
        );
        if !runner.prepare_dir(&alt)? {
            bail!("the postgres user cannot write {} either", alt.display());
        }
        alt
    };
    let data = dir.join("data");
    let data_s = data.to_string_lossy().into_owned();
    if !data.join("PG_VERSION").is_file() {
        eprintln!(
            "devstack: creating a PostgreSQL cluster in {}",
            data.display()
        );
        let out = runner.run(
            &bin.join("initdb"),
            &[
                "-D",
                &data_s,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
            ],
        )?;
        if !out.status.success() {
            bail!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
    }
    let status = runner.run(&bin.join("pg_ctl"), &["-D", &data_s, "status"])?;
    if status.status.success()
        && let Some(port) = running_port(&data)
    {
        return Ok(Cluster {
            dir,
            bin,
            port,
            started_here: false,
        });
    }
    let port = free_port()?;
    let log = dir.join("postgres.log");
    let mut opts = format!(
        "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=300"
    );
    if fast {
        opts.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
    }
    let out = runner.run(
        &bin.join("pg_ctl"),
        &[
            "-D",
            &data_s,
            "-l",
            &log.to_string_lossy(),
            "-o",
            &opts,
            "-w",
            "-t",
            "60",
            "start",
        ],
    )?;
    if !out.status.success() {
        let tail = std::fs::read_to_string(&log).unwrap_or_default();
        let last: Vec<&str> = tail.lines().rev().take(5).collect();
        bail!(
            "pg_ctl start failed: {} {}",
            String::from_utf8_lossy(&out.stderr).trim(),
            last.into_iter().rev().collect::<Vec<_>>().join(" | ")
        );
    }
    Ok(Cluster {
        dir,
        bin,
        port,
        started_here: true,
    })
}

impl Cluster {
    /// A clean, fast shutdown (`-m fast`: disconnect clients, checkpoint, exit).
    pub fn stop(&self) -> anyhow::Result<()> {
        let runner = Runner::new()?;
        let data = self.dir.join("data");
        if running_port(&data).is_none() {
            // Already down (e.g. the terminal's Ctrl-C reached the postmaster too).
            return Ok(());
        }
        let out = runner.run(
            &self.bin.join("pg_ctl"),
            &["-D", &data.to_string_lossy(), "-m", "fast", "-w", "stop"],
        )?;
        if !out.status.success() {
            bail!(
                "pg_ctl stop failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }

    /// Stops the cluster found in `state_dir/pg` (or its fallback), if it runs.
    pub fn stop_in(state_dir: &Path) -> anyhow::Result<bool> {
        let bin = find_bin_dir()?;
        let preferred = std::path::absolute(state_dir.join("pg"))?;
        for dir in [preferred.clone(), fallback_dir(&preferred)] {
            let data = dir.join("data");
            if running_port(&data).is_some() {
                let c = Cluster {
                    dir,
                    bin: bin.clone(),
                    port: 0,
                    started_here: true,
                };
                c.stop()?;
                return Ok(true);
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_is_replaced_in_urls() {
        assert_eq!(
            replace_database("postgres://u:p@h:5432/x?sslmode=disable", "ats").unwrap(),
            "postgres://u:p@h:5432/ats?sslmode=disable"
        );
        assert_eq!(
            replace_database("postgres://h:1", "bd").unwrap(),
            "postgres://h:1/bd"
        );
    }

    #[test]
    fn users_are_replaced_in_urls() {
        assert_eq!(
            with_user(
                "postgres://postgres@127.0.0.1:5432/ats?sslmode=disable",
                "ats",
                "pw"
            )
            .unwrap(),
            "postgres://ats:pw@127.0.0.1:5432/ats?sslmode=disable"
        );
        assert_eq!(
            with_user("postgres://u:p@h/bd", "bd", "x").unwrap(),
            "postgres://bd:x@h/bd"
        );
        assert_eq!(
            with_user("postgres://h:1/ta", "ta", "y").unwrap(),
            "postgres://ta:y@h:1/ta"
        );
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://***@h/db");
    }
}
