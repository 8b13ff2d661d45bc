//! Checks that PostgreSQL itself keeps organizations apart, for any service's database: every
//! table but the migrations' ledger is a tenant table (`organization_id text NOT NULL`, indexed,
//! row-level security enabled and forced), and the service role sees nothing without an
//! organization, only its organization's rows with one, and cannot write a row of another.

use sqlx::{PgPool, Row};

/// Tables that hold no tenant's data.
const NOT_TENANT: &[&str] = &["_sqlx_migrations"];

/// Every table of `admin`'s database is a tenant table under the policy.
pub async fn assert_tenant_tables(admin: &PgPool) {
    let tables = tables(admin).await;
    assert!(!tables.is_empty(), "no tables: was the database migrated?");
    for table in tables {
        let row = sqlx::query(
            r#"SELECT c.relrowsecurity, c.relforcerowsecurity,
                      a.attnotnull AS not_null, format_type(a.atttypid, a.atttypmod) AS type,
                      EXISTS (SELECT 1 FROM pg_index i
                              WHERE i.indrelid = c.oid AND i.indkey[0] = a.attnum) AS indexed,
                      EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid) AS has_policy
               FROM pg_class c
               LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'organization_id'
               WHERE c.oid = $1::regclass"#,
        )
        .bind(&table)
        .fetch_one(admin)
        .await
        .unwrap();
        let ty: Option<String> = row.get("type");
        assert_eq!(
            ty.as_deref(),
            Some("text"),
            "{table}: needs organization_id text"
        );
        assert!(
            row.get::<Option<bool>, _>("not_null").unwrap_or(false),
            "{table}: organization_id must be NOT NULL"
        );
        assert!(
            row.get::<Option<bool>, _>("indexed").unwrap_or(false),
            "{table}: needs an index leading with organization_id"
        );
        assert!(
            row.get::<bool, _>("relrowsecurity"),
            "{table}: row-level security is not enabled"
        );
        assert!(
            row.get::<bool, _>("relforcerowsecurity"),
            "{table}: row-level security is not forced"
        );
        assert!(row.get::<bool, _>("has_policy"), "{table}: has no policy");
    }
}

/// With rows of `org` in the database (made through the service's API), checks what the service
/// role (`service`, from [`crate::service_pool`]) can see and write. Returns how many tables
/// held rows of `org`, so a caller can assert that its scenario reached the tables it meant to.
pub async fn assert_isolated(admin: &PgPool, service: &PgPool, org: &str) -> usize {
    let mut checked = 0;
    for table in tables(admin).await {
        let q = |sql: String| sqlx::query(sqlx::AssertSqlSafe(sql));
        let total: i64 = q(format!(
            "SELECT count(*) FROM {table} WHERE organization_id = $1"
        ))
        .bind(org)
        .fetch_one(admin)
        .await
        .unwrap()
        .get(0);
        if total == 0 {
            continue;
        }
        checked += 1;

        // Without an organization, nothing.
        let unset: i64 = q(format!("SELECT count(*) FROM {table}"))
            .fetch_one(service)
            .await
            .unwrap()
            .get(0);
        assert_eq!(unset, 0, "{table}: rows visible without an organization");

        // Another organization sees none of them, even asking by the column.
        let mut tx = platform::db::begin(service, "intruder-org").await.unwrap();
        let seen: i64 = q(format!(
            "SELECT count(*) FROM {table} WHERE organization_id = $1"
        ))
        .bind(org)
        .fetch_one(&mut *tx)
        .await
        .unwrap()
        .get(0);
        assert_eq!(seen, 0, "{table}: another organization sees {org}'s rows");
        drop(tx);

        // The organization sees its own.
        let mut tx = platform::db::begin(service, org).await.unwrap();
        let own: i64 = q(format!("SELECT count(*) FROM {table}"))
            .fetch_one(&mut *tx)
            .await
            .unwrap()
            .get(0);
        assert_eq!(
            own, total,
            "{table}: the organization does not see its rows"
        );
        drop(tx);

        // Moving a row to another organization is refused by the database.
        let mut tx = platform::db::begin(service, org).await.unwrap();
        let moved = q(format!(
            "UPDATE {table} SET organization_id = 'intruder-org' WHERE organization_id = $1"
        ))
        .bind(org)
        .execute(&mut *tx)
        .await;
        assert_rls_refusal(&table, "an update to another organization", moved);
        drop(tx);

        // So is writing a new row of another organization.
        let mut tx = platform::db::begin(service, org).await.unwrap();
        let inserted = q(format!(
            "INSERT INTO {table} OVERRIDING SYSTEM VALUE \
             SELECT (jsonb_populate_record(NULL::{table}, \
             to_jsonb(x) || '{{\"organization_id\": \"intruder-org\"}}')).* \
             FROM {table} x LIMIT 1"
        ))
        .execute(&mut *tx)
        .await;
        assert_rls_refusal(&table, "an insert for another organization", inserted);
        drop(tx);
    }
    checked
}

fn assert_rls_refusal(
    table: &str,
    what: &str,
    got: Result<sqlx::postgres::PgQueryResult, sqlx::Error>,
) {
    match got {
        Ok(r) => panic!("{table}: {what} was allowed ({} rows)", r.rows_affected()),
        Err(e) => {
            let code = e.as_database_error().and_then(|d| d.code());
            assert_eq!(
                code.as_deref(),
                Some("42501"),
                "{table}: {what} failed, but not by the policy: {e}"
            );
        }
    }
}

async fn tables(admin: &PgPool) -> Vec<String> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1",
    )
    .fetch_all(admin)
    .await
    .unwrap();
    names
        .into_iter()
        .filter(|t| !NOT_TENANT.contains(&t.as_str()))
        .map(|t| format!("\"{t}\""))
        .collect()
}
