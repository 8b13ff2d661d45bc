//! `ats-load`: drives a running stack's ATS with concurrent clients placing crossing limit
//! orders over HTTP, and prints throughput and latency. `scripts/load-ats` runs it next to
//! pgbench's single-row INSERT ceiling of the same PostgreSQL.
//!
//! Setup (through the APIs, as a user would): a TA security listed on the ATS, investors with KYC
//! approved at the BD, shares issued to the sellers. Each client has a buyer and a seller of its
//! own and alternates a buy and a sell of one share at 10.00, so every second order trades.
//!
//! The first `--warmup` seconds (default 2) are not measured: connection pools fill, caches
//! warm.
//!
//! Usage: ats-load [--clients N] [--seconds S] [--investors K] [--warmup S]
//! Environment: IAM_URL, ATS_URL, BD_URL, TA_URL (the local stack's ports by default).

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

struct Args {
    clients: usize,
    seconds: u64,
    investors: usize,
    warmup: u64,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        clients: 32,
        seconds: 10,
        investors: 64,
        warmup: 2,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().context("every flag takes a value")?;
        match flag.as_str() {
            "--clients" => a.clients = value.parse()?,
            "--seconds" => a.seconds = value.parse()?,
            "--investors" => a.investors = value.parse()?,
            "--warmup" => a.warmup = value.parse()?,
            other => bail!(
                "unknown flag {other}; usage: ats-load [--clients N] [--seconds S] [--investors K]"
            ),
        }
    }
    if a.clients == 0 || a.investors < 2 {
        bail!("--clients must be at least 1 and --investors at least 2");
    }
    Ok(a)
}

fn url(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_owned())
}

struct Api {
    http: reqwest::Client,
    iam: String,
    ats: String,
    bd: String,
    ta: String,
}

impl Api {
    async fn token(&self, user: &str) -> anyhow::Result<String> {
        let v: Value = self
            .http
            .post(format!("{}/api/login/oauth/access_token", self.iam))
            .form(&[
                ("grant_type", "password"),
                ("client_id", "cli"),
                ("client_secret", "cli-dev-secret"),
                ("username", user),
                ("password", "devpass"),
            ])
            .send()
            .await?
            .json()
            .await?;
        v["access_token"]
            .as_str()
            .map(str::to_owned)
            .context("no access_token from the IAM")
    }

    async fn post(
        &self,
        base: &str,
        path: &str,
        token: &str,
        body: Value,
    ) -> anyhow::Result<Value> {
        let res = self
            .http
            .post(format!("{base}{path}"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await?;
        let status = res.status();
        let v: Value = res.json().await?;
        if !status.is_success() {
            bail!("POST {path} answered {status}: {v}");
        }
        Ok(v)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::install_crypto_provider();
    let a = args()?;
    let api = Api {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(a.clients * 2)
            .build()?,
        iam: url("IAM_URL", "http://127.0.0.1:8000"),
        ats: url("ATS_URL", "http://127.0.0.1:8080"),
        bd: url("BD_URL", "http://127.0.0.1:8090"),
        ta: url("TA_URL", "http://127.0.0.1:8100"),
    };
    let admin = api.token("acme/admin").await?;
    let carla = api.token("acme/carla").await?;
    let alice = api.token("acme/alice").await?;

    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    let symbol = format!("LOAD{}", stamp % 1_000_000);
    let security = api
        .post(
            &api.ta,
            "/v1/securities",
            &admin,
            json!({"symbol": symbol, "name": "Load Test Inc. Common", "issuer": "Load Test Inc.",
                   "security_class": "common", "regulation": "reg_d_506b", "reporting_issuer": false}),
        )
        .await?;
    let asset = security["id"].as_str().context("security id")?.to_owned();
    api.post(&api.ats, "/v1/assets", &admin, json!({"asset_id": asset}))
        .await?;
    eprintln!(
        "ats-load: listed {symbol} ({asset}); creating {} investors",
        a.investors
    );
    let acquired = "2020-01-02";
    let mut investors = Vec::with_capacity(a.investors);
    for i in 0..a.investors {
        let inv = api
            .post(
                &api.bd,
                "/v1/investors",
                &carla,
                json!({"type": "individual", "legal_name": format!("Load Investor {i}"),
                       "email": "load@example.com", "country": "US", "date_of_birth": "1980-01-01"}),
            )
            .await?;
        let id = inv["id"].as_str().context("investor id")?.to_owned();
        let kyc = api
            .post(
                &api.bd,
                &format!("/v1/investors/{id}/kyc"),
                &carla,
                json!({}),
            )
            .await?;
        if kyc["status"] != "approved" {
            bail!("KYC of a load investor was not approved: {kyc}");
        }
        if i % 2 == 1 {
            api.post(
                &api.ta,
                "/v1/corporate-actions",
                &admin,
                json!({"type": "issuance", "asset_id": asset, "investor_id": id,
                       "quantity": "1000000000", "price_per_share": "1.00", "acquired_at": acquired}),
            )
            .await?;
        }
        investors.push(id);
    }

    eprintln!(
        "ats-load: {} clients for {} s, crossing orders of 1 at 10.00",
        a.clients, a.seconds
    );
    let measure_from = Instant::now() + Duration::from_secs(a.warmup);
    let deadline = measure_from + Duration::from_secs(a.seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..a.clients {
        let http = api.http.clone();
        let url = format!("{}/v1/orders", api.ats);
        let token = alice.clone();
        let pair = (c % (a.investors / 2)) * 2;
        let buyer = investors[pair].clone();
        let seller = investors[pair + 1].clone();
        let asset = asset.clone();
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            let mut failures: Vec<u16> = Vec::new();
            let mut n = 0u64;
            while Instant::now() < deadline {
                let (who, side) = if n.is_multiple_of(2) {
                    (&seller, "sell")
                } else {
                    (&buyer, "buy")
                };
                n += 1;
                let body = json!({"asset_id": asset, "investor_id": who, "side": side,
                                  "order_type": "limit", "quantity": "1", "price": "10.00"});
                let start = Instant::now();
                let measured = start >= measure_from;
                match http.post(&url).bearer_auth(&token).json(&body).send().await {
                    Ok(res) => {
                        let status = res.status().as_u16();
                        let _ = res.bytes().await;
                        if status == 201 {
                            if measured {
                                latencies.push(start.elapsed());
                            }
                        } else {
                            failures.push(status);
                        }
                    }
                    Err(_) => failures.push(0),
                }
            }
            (latencies, failures)
        });
    }
    let mut latencies = Vec::new();
    let mut failures = Vec::new();
    for (l, f) in tasks.join_all().await {
        latencies.extend(l);
        failures.extend(f);
    }
    let elapsed = (Instant::now().max(deadline) - measure_from).as_secs_f64();
    latencies.sort();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let ok = latencies.len();
    println!(
        "ats-load: {ok} orders placed in {elapsed:.1} s = {:.0} orders/s; latency p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms; {} failed",
        ok as f64 / elapsed,
        pct(0.50),
        pct(0.99),
        pct(0.999),
        failures.len()
    );
    if !failures.is_empty() {
        let mut by: std::collections::BTreeMap<u16, usize> = Default::default();
        for f in failures {
            *by.entry(f).or_default() += 1;
        }
        println!("ats-load: failures by status (0: no answer): {by:?}");
    }
    Ok(())
}
