//! Two ATS replicas on one database, the way the deployment runs them: concurrent crossing
//! orders at both never fill a quantity twice, never leave a book crossed, and every order
//! acknowledged exists exactly once; then the same with one replica killed (SIGKILL) mid-load
//! and started again.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::{Stack, ats_server, stack_with};
use platform::Clock;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::sync::Mutex;

/// A tiny deterministic generator (no rand crate).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Shares issued to each investor.
const ISSUED: &str = "100";

struct Market {
    asset: String,
    investors: Vec<String>,
}

async fn market(s: &Stack, investors: usize) -> Market {
    let asset = s.listed_asset("acme", "reg_d_506b").await;
    let mut ids = Vec::new();
    for i in 0..investors {
        let id = s.investor("acme", &format!("Trader Number{i}")).await;
        // Few enough that sellers run into their holdings under load: a quantity sold twice
        // by two replicas would show.
        s.issue("acme", &asset, &id, ISSUED).await;
        ids.push(id);
    }
    Market {
        asset,
        investors: ids,
    }
}

fn random_order(m: &Market, rng: &mut Lcg) -> Value {
    let investor = &m.investors[usize::try_from(rng.below(m.investors.len() as u64)).unwrap()];
    let side = if rng.below(2) == 0 { "buy" } else { "sell" };
    let qty = (1 + rng.below(20)).to_string();
    match rng.below(10) {
        0 => json!({"asset_id": m.asset, "investor_id": investor, "side": side,
                    "order_type": "market", "quantity": qty}),
        1 => json!({"asset_id": m.asset, "investor_id": investor, "side": side,
                    "order_type": "limit", "quantity": qty, "time_in_force": "ioc",
                    "price": format!("{}.00", 95 + rng.below(10))}),
        _ => json!({"asset_id": m.asset, "investor_id": investor, "side": side,
                    "order_type": "limit", "quantity": qty,
                    "price": format!("{}.00", 95 + rng.below(10))}),
    }
}

/// Fires `per_task` random orders from each of `tasks` tasks at the `urls` in turn; answers
/// the ids of the orders acknowledged (201) and how many requests got no answer at all.
async fn load(
    urls: &[String],
    m: &Arc<Market>,
    tasks: u64,
    per_task: usize,
    seed: u64,
) -> (Vec<String>, usize) {
    let acked = Arc::new(Mutex::new(Vec::new()));
    let unanswered = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut set = tokio::task::JoinSet::new();
    for t in 0..tasks {
        let urls = urls.to_vec();
        let m = m.clone();
        let acked = acked.clone();
        let unanswered = unanswered.clone();
        set.spawn(async move {
            let http = reqwest::Client::new();
            let token = common::token("acme/alice");
            let mut rng = Lcg(seed * 1000 + t);
            for i in 0..per_task {
                let url = &urls[(usize::try_from(t).unwrap() + i) % urls.len()];
                let body = random_order(&m, &mut rng);
                let Ok(res) = http
                    .post(format!("{url}/v1/orders"))
                    .bearer_auth(&token)
                    .json(&body)
                    .timeout(Duration::from_secs(30))
                    .send()
                    .await
                else {
                    unanswered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    continue;
                };
                if res.status() == 201 {
                    let v: Value = res.json().await.unwrap();
                    acked
                        .lock()
                        .await
                        .push(v["id"].as_str().unwrap().to_owned());
                }
            }
        });
    }
    set.join_all().await;
    (
        Arc::try_unwrap(acked).unwrap().into_inner(),
        unanswered.load(std::sync::atomic::Ordering::Relaxed),
    )
}

fn d(v: &str) -> Decimal {
    v.parse().unwrap()
}

/// What must hold whatever the replicas did.
async fn check_invariants(pool: &PgPool, acked: &[String]) {
    let orders: Vec<(
        uuid::Uuid,
        String,
        Decimal,
        Decimal,
        Decimal,
        Decimal,
        String,
    )> = sqlx::query_as(
        "SELECT id, investor_id::text, quantity, filled_quantity, remaining_quantity,
                cancelled_quantity, status FROM orders",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let trades: Vec<(uuid::Uuid, uuid::Uuid, Decimal)> =
        sqlx::query_as("SELECT buy_order_id, sell_order_id, quantity FROM trades")
            .fetch_all(pool)
            .await
            .unwrap();
    let mut traded: HashMap<uuid::Uuid, Decimal> = HashMap::new();
    for (b, s, q) in &trades {
        *traded.entry(*b).or_default() += *q;
        *traded.entry(*s).or_default() += *q;
    }
    for (id, _, quantity, filled, remaining, cancelled, status) in &orders {
        let t = traded.get(id).copied().unwrap_or_default();
        assert_eq!(*filled, t, "order {id}: filled {filled} but traded {t}");
        assert!(
            filled <= quantity,
            "order {id} overfilled: {filled} > {quantity}"
        );
        if status != "rejected" && status != "pending_compliance" {
            assert_eq!(
                *quantity,
                *filled + *remaining + *cancelled,
                "order {id} ({status})"
            );
        }
        match status.as_str() {
            "filled" => assert_eq!(filled, quantity, "{id}"),
            "open" | "partially_filled" => assert!(*remaining > Decimal::ZERO, "{id}"),
            _ => assert_eq!(
                *remaining,
                Decimal::ZERO,
                "{id} ({status}) still has quantity working"
            ),
        }
    }
    // Not crossed.
    let (bid, ask): (Option<Decimal>, Option<Decimal>) = sqlx::query_as(
        "SELECT (SELECT max(price) FROM orders WHERE side = 'buy' AND order_type = 'limit'
                   AND status IN ('open', 'partially_filled')),
                (SELECT min(price) FROM orders WHERE side = 'sell' AND order_type = 'limit'
                   AND status IN ('open', 'partially_filled'))",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    if let (Some(b), Some(a)) = (bid, ask) {
        assert!(b < a, "the book is crossed: best bid {b} >= best ask {a}");
    }
    // Every acknowledged order exists, once.
    let stored: HashSet<String> = orders
        .iter()
        .map(|o| format!("ord_{}", o.0.simple()))
        .collect();
    let unique: HashSet<&String> = acked.iter().collect();
    assert_eq!(
        unique.len(),
        acked.len(),
        "an order id was acknowledged twice"
    );
    for id in acked {
        assert!(stored.contains(id), "acknowledged order {id} is not stored");
    }
    // One pending settlement per trade.
    let (t, st): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM trades), (SELECT count(DISTINCT trade_id) FROM settlements)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(t, st);
    // No seller sold more than was issued to them.
    let sold: Vec<(String, Decimal)> =
        sqlx::query_as("SELECT seller_investor_id::text, sum(quantity) FROM trades GROUP BY 1")
            .fetch_all(pool)
            .await
            .unwrap();
    for (who, q) in sold {
        assert!(
            q <= d(ISSUED),
            "{who} sold {q}, more than the {ISSUED} they hold"
        );
    }
    assert!(
        !trades.is_empty(),
        "the load made no trade: the test proved nothing"
    );
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn two_replicas_on_one_database_never_overfill_or_cross(pool: PgPool) {
    let s = stack_with(pool.clone(), &[], Clock::system()).await;
    let m = Arc::new(market(&s, 6).await);
    let (second, _) = ats_server(
        &pool,
        &s.bd.url,
        &s.ta.url,
        &[],
        Clock::system(),
        &s.shutdown,
    )
    .await;
    let urls = vec![s.ats.url.clone(), second.url.clone()];
    let (acked, _) = load(&urls, &m, 12, 25, 7).await;
    let short: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM orders WHERE reject_reason = 'insufficient_holdings'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    println!(
        "{} of 300 orders acknowledged, {short} refused for holdings",
        acked.len()
    );
    assert!(
        acked.len() > 150,
        "most orders were acknowledged: {}",
        acked.len()
    );
    assert!(
        short > 0,
        "sellers ran into their holdings: the check was exercised"
    );
    check_invariants(&pool, &acked).await;
    // Both replicas took their share of the orders.
    for (name, server) in [("first", &s.ats), ("second", &second)] {
        let placed = placed_by(server).await;
        assert!(placed > 50, "the {name} replica placed {placed} orders");
    }
}

/// Orders a replica answered 201, from its /metrics.
async fn placed_by(server: &testkit::TestServer) -> u64 {
    let text = reqwest::get(format!("{}/metrics", server.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find(|l| {
            l.starts_with(
                "http_requests_total{method=\"POST\",route=\"/v1/orders\",status=\"201\"}",
            )
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

struct Replica {
    child: Child,
    url: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn spawn_replica(pool: &PgPool, s: &Stack) -> Replica {
    let port = free_port();
    let iam = testkit::iam();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ats"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PORT", port.to_string())
        .env("DATABASE_URL", testkit::db::service_url(pool))
        .env("IAM_URL", &iam.url)
        .env("IAM_ISSUER", &iam.url)
        .env("BD_URL", &s.bd.url)
        .env("TA_URL", &s.ta.url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the ats binary starts");
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..300 {
        if http
            .get(format!("{url}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Replica { child, url };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the ats replica did not become ready");
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn a_replica_killed_mid_load_loses_nothing_acknowledged(pool: PgPool) {
    let s = stack_with(
        pool.clone(),
        &[("ATS_PENDING_TIMEOUT_SECS", "1")],
        Clock::system(),
    )
    .await;
    let m = Arc::new(market(&s, 6).await);
    let mut replica = spawn_replica(&pool, &s).await;
    let urls = vec![s.ats.url.clone(), replica.url.clone()];

    // Kill the replica (SIGKILL) while the load runs.
    let killer = {
        let pid = replica.child.id();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        })
    };
    let (mut acked, cut) = load(&urls, &m, 12, 25, 11).await;
    killer.await.unwrap();
    assert!(cut > 0, "the replica died while requests were in flight");
    let status = replica.child.wait().unwrap();
    assert!(!status.success(), "the replica was killed: {status:?}");

    // Started again, on the same database, it takes its share again.
    replica = spawn_replica(&pool, &s).await;
    let urls = vec![s.ats.url.clone(), replica.url.clone()];
    let (more, cut) = load(&urls, &m, 8, 15, 12).await;
    assert_eq!(cut, 0, "the restarted replica answers");
    acked.extend(more);
    let _ = replica.child.kill();
    let _ = replica.child.wait();

    // Orders the killed process had recorded but not placed are rejected as interrupted.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    ats::orders::sweep_interrupted(&s.state, time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    let pending: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM orders WHERE status IN ('new', 'pending_compliance')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(pending, 0);
    check_invariants(&pool, &acked).await;
}
