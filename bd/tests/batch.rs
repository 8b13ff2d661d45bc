//! `POST /v1/compliance/pre-trade/batch`: each check answered as the single endpoint answers
//! it, in order; input refused as a whole; internal only. And how much cheaper it is.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use platform::Clock;
use serde_json::{Value, json};
use testkit::{TestServer, assert_error, send};
use time::macros::datetime;

const PATH: &str = "/v1/compliance/pre-trade/batch";

async fn batch(app: &TestServer, checks: &[Value]) -> Vec<Value> {
    let (s, v) = post_service(app, PATH, "acme", json!({ "checks": checks })).await;
    assert_eq!(s, 200, "{v}");
    v["results"].as_array().unwrap().clone()
}

async fn pre_trade_checks(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM checks WHERE kind = 'pre_trade'")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The check an answer names, as `GET /v1/compliance/checks/{id}` shows it.
async fn kept(app: &TestServer, answer: &Value) -> Value {
    let id = answer["id"].as_str().unwrap();
    let (s, v) = get_service(app, &format!("/v1/compliance/checks/{id}"), "acme").await;
    assert_eq!(s, 200, "{v}");
    v
}

/// The investors of one world, by role.
struct World {
    ids: HashMap<&'static str, String>,
}

/// Investors in every state the rules tell apart, the same in each world: approved and
/// accredited, approved only, refused at KYC (a listed name; an identity the provider
/// rejected), with a Reg CF limit of $3,000.
async fn world(app: &TestServer, n: usize) -> World {
    let mut ids = HashMap::new();
    let accredited = approved_individual(app, &format!("Grace Hopper {n}")).await;
    let (s, v) = post(
        app,
        &format!("/v1/investors/{accredited}/accreditation"),
        "acme/carla",
        json!({"method": "net_worth", "evidence": {"net_worth": "2500000", "documents_dated": "2026-03-01"}}),
    )
    .await;
    assert_eq!((s, v["status"].as_str()), (201, Some("verified")), "{v}");
    ids.insert("accredited", accredited);
    ids.insert(
        "plain",
        approved_individual(app, &format!("Ada Lovelace {n}")).await,
    );
    let listed = create(app, individual("Manuel Antonio Noriega", "US")).await;
    assert_eq!(kyc(app, &listed).await["status"], "rejected");
    ids.insert("listed", listed);
    // The dev provider refuses the identity of a name carrying `reject`.
    let refused = create(app, individual(&format!("Rejected Person {n}"), "US")).await;
    assert_eq!(kyc(app, &refused).await["status"], "rejected");
    ids.insert("refused", refused);
    let mut limited = individual(&format!("Alan Turing {n}"), "GB");
    limited["annual_income"] = json!("50000");
    limited["net_worth"] = json!("60000");
    let limited = create(app, limited).await;
    assert_eq!(kyc(app, &limited).await["status"], "approved");
    ids.insert("limited", limited);
    World { ids }
}

/// The checks of the mixed batch, for `w`'s investors; `unknown` and `foreign` are the same in
/// every world.
fn mixed(w: &World, asset: &str, unknown: &str, foreign: &str) -> Vec<Value> {
    let r = |who: &str, side, qty, price, reg| {
        let investor = w.ids.get(who).map_or(who, String::as_str);
        order_request(investor, asset, side, qty, price, reg)
    };
    vec![
        r("accredited", "buy", "10", "100", "reg_d_506c"),
        r("plain", "buy", "10", "100", "reg_d_506c"),
        r("listed", "buy", "10", "100", "reg_d_506b"),
        r("refused", "sell", "10", "100", "reg_d_506b"),
        r("limited", "buy", "200", "10", "reg_cf"),
        r("limited", "sell", "500", "10", "reg_cf"),
        r("limited", "buy", "150", "10", "reg_cf"),
        r("limited", "buy", "100", "10", "reg_cf"),
        r(unknown, "buy", "1", "1", "registered"),
        r(foreign, "buy", "1", "1", "registered"),
        r("plain", "sell", "3", "7.5", "registered"),
    ]
}

/// An answer (or a stored check) with what differs between worlds replaced: the check and
/// order ids, and the world's investor ids by their role.
fn normal(v: &Value, w: &World) -> Value {
    let mut text = v.to_string();
    for (role, id) in &w.ids {
        text = text.replace(id.as_str(), role);
    }
    let mut v: Value = serde_json::from_str(&text).unwrap();
    for key in ["id", "order_id"] {
        v.as_object_mut().unwrap().remove(key);
    }
    if let Some(request) = v.pointer_mut("/input/request") {
        request.as_object_mut().unwrap().remove("order_id");
    }
    if let Some(input) = v.pointer_mut("/input/investor") {
        input
            .as_object_mut()
            .unwrap()
            .remove("accreditation_check_id");
        // The evidence a figure came from: a check of each world's own.
        if let Some(sources) = input["financial_profile_sources"].as_object_mut() {
            for source in sources.values_mut() {
                if source.as_str().is_some_and(|s| s.starts_with("chk_")) {
                    *source = json!("chk");
                }
            }
        }
    }
    v
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn a_batch_answers_each_check_as_the_single_endpoint_would(pool: sqlx::PgPool) {
    // The same instant for both runs, so expiries and timestamps compare.
    let clock = Clock::fixed(datetime!(2026-03-02 14:00 UTC));
    let app = app_with_clock(pool.clone(), &[], None, clock).await;
    let (singles, batched) = (world(&app, 1).await, world(&app, 2).await);
    let foreign = create_as(&app, "globex/admin", individual("Gus Fring", "US")).await;
    let unknown = new_id("inv");
    let asset = new_id("ast");

    let mut one_by_one = Vec::new();
    for check in mixed(&singles, &asset, &unknown, &foreign) {
        one_by_one.push(pre_trade(&app, check).await);
    }
    let before = pre_trade_checks(&pool).await;
    let requests = mixed(&batched, &asset, &unknown, &foreign);
    let together = batch(&app, &requests).await;
    assert_eq!(
        pre_trade_checks(&pool).await - before,
        11,
        "one check kept per entry"
    );

    assert_eq!(together.len(), one_by_one.len());
    for (i, (b, s)) in together.iter().zip(&one_by_one).enumerate() {
        assert_eq!(
            b["order_id"], requests[i]["order_id"],
            "in the request's order"
        );
        assert_eq!(normal(b, &batched), normal(s, &singles), "check {i}");
        // Each kept for audit, as the single endpoint keeps it.
        let (kept_b, kept_s) = (kept(&app, b).await, kept(&app, s).await);
        assert_eq!(
            normal(&kept_b, &batched),
            normal(&kept_s, &singles),
            "stored check {i}"
        );
    }
    // What the mix holds: approved, refused for accreditation, for KYC (sanctions, identity),
    // for the limit ($2,000 bought, then $1,500 would pass $3,000; $1,000 reaches it exactly),
    // unknown investors.
    let codes: Vec<Vec<&str>> = together
        .iter()
        .map(|a| {
            a["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["code"].as_str().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(together[0]["approved"], true);
    assert!(codes[1].contains(&"accreditation_required"), "{codes:?}");
    assert_eq!(codes[2], ["sanctions_hit"]);
    assert_eq!(codes[3], ["kyc_rejected"]);
    assert_eq!(together[4]["approved"], true);
    assert_eq!(together[5]["approved"], true, "a sell uses no limit");
    assert_eq!(codes[6], ["investment_limit_exceeded"]);
    assert_eq!(together[7]["approved"], true);
    assert_eq!(codes[8], ["investor_not_found"]);
    assert_eq!(codes[9], ["investor_not_found"]);
    assert_eq!(together[10]["approved"], true);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn buys_of_one_investor_in_a_batch_count_against_each_other(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let mut body = individual("Alan Turing", "GB");
    body["annual_income"] = json!("50000");
    body["net_worth"] = json!("60000");
    let id = create(&app, body).await;
    assert_eq!(kyc(&app, &id).await["status"], "approved");
    let asset = new_id("ast");
    let buy = |qty: &str| order_request(&id, &asset, "buy", qty, "10", "reg_cf");

    // $2,000 then $1,500 against a $3,000 limit: the second would pass it.
    let got = batch(&app, &[buy("200"), buy("150")]).await;
    assert_eq!(got[0]["approved"], true);
    assert_eq!(got[1]["approved"], false);
    let reason = &got[1]["reasons"][0];
    assert_eq!(reason["code"], "investment_limit_exceeded");
    assert_eq!(reason["details"]["used"], "2000");
    assert_eq!(reason["details"]["requested"], "1500");
    // What is left is $1,000, for this batch and for later single checks.
    let got = batch(&app, &[buy("60"), buy("40"), buy("1")]).await;
    let approved: Vec<bool> = got
        .iter()
        .map(|a| a["approved"].as_bool().unwrap())
        .collect();
    assert_eq!(approved, [true, true, false]);
    let single = pre_trade(&app, buy("1")).await;
    assert_eq!(single["approved"], false);
    assert_eq!(single["reasons"][0]["details"]["used"], "3000");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn an_order_checked_twice_in_a_batch_reserves_once(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let mut body = individual("Alan Turing", "GB");
    body["annual_income"] = json!("50000");
    body["net_worth"] = json!("60000");
    let id = create(&app, body).await;
    assert_eq!(kyc(&app, &id).await["status"], "approved");
    let asset = new_id("ast");
    // $2,500, then the same order again at $1,000 (it replaces its own reservation), then
    // $1,500 more: $2,500 in all, within $3,000. Counted twice, the last would be refused.
    let order = order_request(&id, &asset, "buy", "250", "10", "reg_cf");
    let mut smaller = order.clone();
    smaller["quantity"] = json!("100");
    let other = order_request(&id, &asset, "buy", "150", "10", "reg_cf");
    let got = batch(&app, &[order, smaller, other]).await;
    let approved: Vec<bool> = got
        .iter()
        .map(|a| a["approved"].as_bool().unwrap())
        .collect();
    assert_eq!(approved, [true, true, true], "{got:?}");
    assert_eq!(got[2]["reasons"], json!([]));
    let (_, check) = get_service(
        &app,
        &format!("/v1/compliance/checks/{}", got[2]["id"].as_str().unwrap()),
        "acme",
    )
    .await;
    assert_eq!(
        check["input"]["prior_12m"]["reserved_by_open_orders"],
        "1000"
    );
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn bad_batches_are_refused_whole(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let id = approved_individual(&app, "Grace Hopper").await;
    let asset = new_id("ast");
    let ok = order_request(&id, &asset, "buy", "1", "1", "registered");
    let many: Vec<Value> = (0..501).map(|_| ok.clone()).collect();
    let mut cases: Vec<(Value, &str)> = vec![
        (json!({"checks": []}), "checks"),
        (json!({"checks": many}), "checks"),
        (json!({}), "checks"),
        (json!({"checks": ok}), "checks"),
        (
            json!({"checks": [ok], "organization_id": "globex"}),
            "organization_id",
        ),
    ];
    for (field, value) in [
        ("quantity", json!("abc")),
        ("quantity", json!("0")),
        ("quantity", json!("1000000000001")),
        ("price", json!("-1")),
        ("price", json!("0.000000001")),
        ("side", json!("short")),
        ("investor_id", json!("inv_nope")),
    ] {
        let mut entries = vec![ok.clone(), ok.clone(), ok.clone(), ok.clone()];
        entries[3][field] = value;
        cases.push((json!({ "checks": entries }), field));
    }
    let mut missing = vec![ok.clone(), ok.clone()];
    missing[1].as_object_mut().unwrap().remove("regulation");
    cases.push((json!({ "checks": missing }), "checks[1].regulation"));
    for (body, field) in cases {
        let got = post_service(&app, PATH, "acme", body.clone()).await;
        assert_error(&got, 400, "VALIDATION_ERROR");
        let fields = &got.1["error"]["details"]["fields"];
        let named = if field.contains('[') || ["checks", "organization_id"].contains(&field) {
            field.to_owned()
        } else {
            format!("checks[3].{field}")
        };
        assert!(fields.get(&named).is_some(), "{named}: {}", got.1);
    }
    let raw = send(
        app.post(PATH)
            .bearer_auth(service())
            .header("x-iam-org", "acme")
            .header("content-type", "application/json")
            .body("{\"checks\": ["),
    )
    .await;
    assert_error(&raw, 400, "MALFORMED_JSON");
    assert_eq!(pre_trade_checks(&pool).await, 0, "nothing recorded");

    // 500 is the most, and fine.
    let full: Vec<Value> = (0..500)
        .map(|_| order_request(&id, &asset, "buy", "1", "1", "registered"))
        .collect();
    assert_eq!(batch(&app, &full).await.len(), 500);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn only_the_platform_s_services_may_batch(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let id = approved_individual(&app, "Grace Hopper").await;
    let body =
        json!({"checks": [order_request(&id, &new_id("ast"), "buy", "1", "1", "registered")]});
    for user in ["acme/admin", "acme/carla", "acme/alice", "acme/vic"] {
        assert_error(
            &post(&app, PATH, user, body.clone()).await,
            403,
            "FORBIDDEN",
        );
    }
    // The role is judged before the body.
    assert_error(
        &post(&app, PATH, "acme/admin", json!({"checks": []})).await,
        403,
        "FORBIDDEN",
    );
    assert_error(
        &send(app.post(PATH).json(&body)).await,
        401,
        "UNAUTHENTICATED",
    );
    let got = send(app.post(PATH).bearer_auth(service()).json(&body)).await;
    assert_error(&got, 403, "FORBIDDEN");
    // Acting for globex, acme's investor is unknown.
    let (s, v) = post_service(&app, PATH, "globex", body).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["results"][0]["reasons"][0]["code"], "investor_not_found");
}

/// N single calls (one after the other, and all at once) against one batch of N, over N
/// investors and over one. Run it in release for the figures:
/// `cargo test --release -p bd --test batch -- --ignored --nocapture`.
#[sqlx::test(migrator = "bd::MIGRATOR")]
#[ignore = "a measurement; run in release with --ignored --nocapture"]
async fn measure_single_calls_against_one_batch(pool: sqlx::PgPool) {
    const N: usize = 64;
    const ROUNDS: usize = 7;
    let app = app(pool).await;
    let mut investors = Vec::with_capacity(N);
    for i in 0..N {
        investors.push(approved_individual(&app, &format!("Investor Number {i}")).await);
    }
    let asset = new_id("ast");
    let app = &app;
    for (label, who) in [
        ("64 investors", investors.clone()),
        ("1 investor", vec![investors[0].clone(); N]),
    ] {
        let checks = || -> Vec<Value> {
            who.iter()
                .map(|i| order_request(i, &asset, "buy", "1", "10", "reg_d_506b"))
                .collect()
        };
        let sequential = median(ROUNDS, || {
            let cs = checks();
            async move {
                for c in cs {
                    pre_trade(app, c).await;
                }
            }
        })
        .await;
        let concurrent = median(ROUNDS, || {
            let cs = checks();
            async move {
                let calls = cs.into_iter().map(|c| pre_trade(app, c));
                futures_join_all(calls).await;
            }
        })
        .await;
        let batched = median(ROUNDS, || {
            let cs = checks();
            async move {
                assert_eq!(batch(app, &cs).await.len(), N);
            }
        })
        .await;
        let rate = |d: Duration| N as f64 / d.as_secs_f64();
        if label == "64 investors" {
            // The largest batch, 500 checks over the 64 investors.
            let full = || -> Vec<Value> {
                (0..500)
                    .map(|i| order_request(&who[i % N], &asset, "buy", "1", "10", "reg_d_506b"))
                    .collect()
            };
            let largest = median(ROUNDS, || {
                let cs = full();
                async move {
                    assert_eq!(batch(app, &cs).await.len(), 500);
                }
            })
            .await;
            println!(
                "pre-trade, one batch of 500 checks over 64 investors: {:.1} ms ({:.0} checks/s)",
                largest.as_secs_f64() * 1e3,
                500.0 / largest.as_secs_f64()
            );
        }
        println!(
            "pre-trade, {N} checks over {label}: {N} sequential single calls {:.1} ms \
             ({:.0} checks/s); {N} concurrent single calls {:.1} ms ({:.0} checks/s); one batch \
             {:.1} ms ({:.0} checks/s); batch vs sequential {:.1}x, vs concurrent {:.1}x",
            sequential.as_secs_f64() * 1e3,
            rate(sequential),
            concurrent.as_secs_f64() * 1e3,
            rate(concurrent),
            batched.as_secs_f64() * 1e3,
            rate(batched),
            sequential.as_secs_f64() / batched.as_secs_f64(),
            concurrent.as_secs_f64() / batched.as_secs_f64(),
        );
    }
}

/// Runs every future at once and waits for all (no extra dependency for one helper).
async fn futures_join_all<F: std::future::Future>(futures: impl Iterator<Item = F>) {
    let mut set = Vec::new();
    for f in futures {
        set.push(Box::pin(f));
    }
    let mut pending: Vec<_> = set.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for slot in pending.iter_mut() {
            if let Some(f) = slot {
                if f.as_mut().poll(cx).is_ready() {
                    *slot = None;
                } else {
                    done = false;
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}
