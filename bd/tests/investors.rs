//! Investors: creation rules at their boundaries, reads, roles, tenants, idempotency.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use testkit::{assert_error, send};

fn fields(got: &(u16, Value)) -> Value {
    assert_error(got, 400, "VALIDATION_ERROR")["fields"].clone()
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn creates_reads_and_lists(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let mut body = individual("Grace Hopper", "US");
    body["external_ref"] = json!("crm-1");
    body["annual_income"] = json!(150000);
    let (s, v) = post(&app, "/v1/investors", "acme/carla", body).await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap();
    assert!(id.starts_with("inv_") && id.len() == 36);
    assert_eq!(v["type"], "individual");
    assert_eq!(v["country"], "US");
    assert_eq!(v["date_of_birth"], "1980-05-17");
    assert_eq!(v["annual_income"], "150000");
    assert_eq!(v["kyc_status"], "none");
    assert_eq!(v["sanctions_status"], "none");
    assert!(v["created_at"].as_str().unwrap().ends_with('Z'));

    let (s, got) = get(&app, &format!("/v1/investors/{id}"), "acme/admin").await;
    assert_eq!(s, 200);
    assert_eq!(got, v);

    create(&app, individual("Ada Lovelace", "GB")).await;
    let (s, page) = get(&app, "/v1/investors?limit=1", "acme/carla").await;
    assert_eq!(s, 200);
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(page["data"][0]["id"], id);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, page2) = get(
        &app,
        &format!("/v1/investors?limit=1&cursor={cursor}"),
        "acme/carla",
    )
    .await;
    assert_eq!(page2["data"][0]["legal_name"], "Ada Lovelace");
    assert!(page2["next_cursor"].is_null());

    let (_, f) = get(&app, "/v1/investors?country=GB", "acme/carla").await;
    assert_eq!(f["data"].as_array().unwrap().len(), 1);
    let (_, f) = get(&app, "/v1/investors?external_ref=crm-1", "acme/carla").await;
    assert_eq!(f["data"][0]["id"], id);
    let (_, f) = get(&app, "/v1/investors?type=entity", "acme/carla").await;
    assert_eq!(f["data"], json!([]));
    let (_, f) = get(&app, "/v1/investors?kyc_status=none", "acme/carla").await;
    assert_eq!(f["data"].as_array().unwrap().len(), 2);

    // Bad filters and cursors.
    let got = get(&app, "/v1/investors?type=robot", "acme/carla").await;
    assert_error(&got, 400, "VALIDATION_ERROR");
    let got = get(&app, "/v1/investors?limit=501", "acme/carla").await;
    assert_error(&got, 400, "VALIDATION_ERROR");
    let got = get(&app, "/v1/investors?cursor=bm90LWFuLWlk", "acme/carla").await;
    assert_error(&got, 400, "VALIDATION_ERROR");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn entities_carry_beneficial_owners(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let body = json!({
        "type": "entity",
        "legal_name": "Pied Piper Ventures LLC",
        "email": "ops@piedpiper.example",
        "country": "US",
        "annual_revenue": "2000000",
        "net_assets": "900000.50",
        "beneficial_owners": [
            {"name": "Hedy Lamarr", "ownership_percent": "25", "country": "AT", "date_of_birth": "1974-11-09"},
            {"name": "Katherine Johnson", "ownership_percent": 75, "country": "US", "date_of_birth": "1978-08-26"}
        ]
    });
    let (s, v) = post(&app, "/v1/investors", "acme/admin", body.clone()).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["beneficial_owners"].as_array().unwrap().len(), 2);
    assert_eq!(v["beneficial_owners"][1]["ownership_percent"], "75");
    assert_eq!(v["net_assets"], "900000.50");

    // 25% exactly is declared; below is not; more than 100% in total is refused.
    let mut under = body.clone();
    under["beneficial_owners"][0]["ownership_percent"] = json!("24.99");
    let f = fields(&post(&app, "/v1/investors", "acme/admin", under).await);
    assert!(
        f.get("beneficial_owners[0].ownership_percent").is_some(),
        "{f}"
    );
    let mut over = body.clone();
    over["beneficial_owners"][0]["ownership_percent"] = json!("25.01");
    let f = fields(&post(&app, "/v1/investors", "acme/admin", over).await);
    assert!(f.get("beneficial_owners").is_some(), "{f}");
    let mut bad_country = body.clone();
    bad_country["beneficial_owners"][1]["country"] = json!("XX");
    let f = fields(&post(&app, "/v1/investors", "acme/admin", bad_country).await);
    assert!(f.get("beneficial_owners[1].country").is_some(), "{f}");
    let mut missing_dob = body.clone();
    missing_dob["beneficial_owners"][1]
        .as_object_mut()
        .unwrap()
        .remove("date_of_birth");
    let got = post(&app, "/v1/investors", "acme/admin", missing_dob).await;
    assert_error(&got, 400, "VALIDATION_ERROR");

    // An entity has no date of birth and no personal figures; an individual no owners.
    let mut e = body.clone();
    e["date_of_birth"] = json!("1990-01-01");
    e["annual_income"] = json!("1");
    let f = fields(&post(&app, "/v1/investors", "acme/admin", e).await);
    assert!(
        f.get("date_of_birth").is_some() && f.get("annual_income").is_some(),
        "{f}"
    );
    let mut i = individual("Grace Hopper", "US");
    i["beneficial_owners"] = body["beneficial_owners"].clone();
    let f = fields(&post(&app, "/v1/investors", "acme/admin", i).await);
    assert!(f.get("beneficial_owners").is_some(), "{f}");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn refuses_bad_input_naming_the_fields(pool: sqlx::PgPool) {
    let app = app(pool).await;
    for raw in ["{", "not json", "", "[1,"] {
        let got = post_raw(&app, "/v1/investors", "acme/carla", raw).await;
        assert_error(&got, 400, "MALFORMED_JSON");
    }
    let cases: Vec<(Value, &str)> = vec![
        (json!({"type": "robot"}), "type"),
        (
            json!({"type": "individual", "email": "a@b.co", "country": "US"}),
            "legal_name",
        ),
        (individual("   ", "US"), "legal_name"),
        (individual("!!!", "US"), "legal_name"),
        (individual(&"x".repeat(201), "US"), "legal_name"),
        (individual("Grace Hopper", "UK"), "country"),
        (individual("Grace Hopper", "XX"), "country"),
        (individual("Grace Hopper", "us"), "country"),
        (individual("Grace Hopper", "USA"), "country"),
        (individual("Grace Hopper", ""), "country"),
        (
            json!({"type": "individual", "legal_name": "Grace Hopper", "email": "nope", "country": "US"}),
            "email",
        ),
        (
            json!({"type": "individual", "legal_name": "Grace Hopper", "email": "a@b.co", "country": "US", "date_of_birth": "1899-12-31"}),
            "date_of_birth",
        ),
        (
            json!({"type": "individual", "legal_name": "Grace Hopper", "email": "a@b.co", "country": "US", "date_of_birth": "17/05/1980"}),
            "date_of_birth",
        ),
        (
            json!({"type": "individual", "legal_name": "Grace Hopper", "email": "a@b.co", "country": "US", "net_worth": "-1"}),
            "net_worth",
        ),
        (
            json!({"type": "individual", "legal_name": "Grace Hopper", "email": "a@b.co", "country": "US", "net_worth": "lots"}),
            "net_worth",
        ),
        (
            json!({"type": "individual", "legal_name": "Grace Hopper", "email": "a@b.co", "country": "US", "annual_income": "1000000000000000.01"}),
            "annual_income",
        ),
        (
            json!({"type": "individual", "legal_name": "Grace Hopper", "email": "a@b.co", "country": "US", "external_ref": ""}),
            "external_ref",
        ),
        (
            json!({"type": "individual", "legal_name": "Grace Hopper", "email": "a@b.co", "country": "US", "organization_id": "globex"}),
            "organization_id",
        ),
        (
            json!({"type": "individual", "legal_name": 42, "email": "a@b.co", "country": "US"}),
            "legal_name",
        ),
    ];
    for (body, field) in cases {
        let got = post(&app, "/v1/investors", "acme/carla", body.clone()).await;
        let f = fields(&got);
        assert!(f.get(field).is_some(), "{field}: {body} -> {}", got.1);
    }
    let mut long_ref = individual("Grace Hopper", "US");
    long_ref["external_ref"] = json!("r".repeat(129));
    assert!(
        fields(&post(&app, "/v1/investors", "acme/carla", long_ref).await)
            .get("external_ref")
            .is_some()
    );
    // Nothing was written.
    let (_, page) = get(&app, "/v1/investors", "acme/carla").await;
    assert_eq!(page["data"], json!([]));

    // The longest accepted values.
    let mut longest = individual(&"x".repeat(200), "US");
    longest["external_ref"] = json!("r".repeat(128));
    let (s, v) = post(&app, "/v1/investors", "acme/carla", longest).await;
    assert_eq!(s, 201, "{v}");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn the_age_of_majority_is_a_boundary(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let today = today();
    let eighteen_today = common_add_years(today, -18);
    let mut body = individual("Grace Hopper", "US");
    body["date_of_birth"] = json!(eighteen_today.to_string());
    let (s, v) = post(&app, "/v1/investors", "acme/carla", body.clone()).await;
    assert_eq!(s, 201, "{v}");
    body["date_of_birth"] = json!((eighteen_today + time::Duration::days(1)).to_string());
    let f = fields(&post(&app, "/v1/investors", "acme/carla", body.clone()).await);
    assert!(f.get("date_of_birth").is_some());
    body["date_of_birth"] = json!("1900-01-01");
    let (s, _) = post(&app, "/v1/investors", "acme/carla", body).await;
    assert_eq!(s, 201);
}

fn common_add_years(d: time::Date, years: i32) -> time::Date {
    time::Date::from_calendar_date(d.year() + years, d.month(), d.day()).unwrap_or_else(|_| {
        time::Date::from_calendar_date(d.year() + years, time::Month::March, 1).unwrap()
    })
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn external_ref_is_unique_per_organization(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let mut body = individual("Grace Hopper", "US");
    body["external_ref"] = json!("crm-7");
    let first = create(&app, body.clone()).await;
    let mut other = individual("Ada Lovelace", "GB");
    other["external_ref"] = json!("crm-7");
    let got = post(&app, "/v1/investors", "acme/admin", other.clone()).await;
    let d = assert_error(&got, 409, "CONFLICT");
    assert_eq!(d["investor_id"], first.as_str());
    // Another organization may use the same reference.
    let (s, _) = post(&app, "/v1/investors", "globex/admin", other).await;
    assert_eq!(s, 201);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn roles_and_tenants(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let id = create_as(&app, "acme/admin", individual("Grace Hopper", "US")).await;
    for user in ["acme/alice", "acme/vic"] {
        let got = post(
            &app,
            "/v1/investors",
            user,
            individual("Ada Lovelace", "GB"),
        )
        .await;
        assert_error(&got, 403, "FORBIDDEN");
        assert_error(&get(&app, "/v1/investors", user).await, 403, "FORBIDDEN");
        assert_error(
            &get(&app, &format!("/v1/investors/{id}"), user).await,
            403,
            "FORBIDDEN",
        );
    }
    // Another organization's investor is not found, exactly like an unknown one.
    let got = get(&app, &format!("/v1/investors/{id}"), "globex/admin").await;
    assert_error(&got, 404, "NOT_FOUND");
    let got = get(
        &app,
        &format!("/v1/investors/{}", new_id("inv")),
        "acme/admin",
    )
    .await;
    assert_error(&got, 404, "NOT_FOUND");
    let got = get(&app, "/v1/investors/inv_nope", "acme/admin").await;
    assert_error(&got, 404, "NOT_FOUND");
    let (_, page) = get(&app, "/v1/investors", "globex/admin").await;
    assert_eq!(page["data"], json!([]));
    // The platform's services may read investors.
    let (s, v) = get_service(&app, &format!("/v1/investors/{id}"), "acme").await;
    assert_eq!(s, 200, "{v}");
    let (s, _) = get_service(&app, &format!("/v1/investors/{id}"), "globex").await;
    assert_eq!(s, 404);
    // Without a token.
    let got = send(app.get("/v1/investors")).await;
    assert_error(&got, 401, "UNAUTHENTICATED");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn idempotent_creation(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let body = individual("Grace Hopper", "US");
    let send_with = |key: &str, body: &Value| {
        app.request(Method::POST, "/v1/investors")
            .bearer_auth(token("acme/carla"))
            .header("idempotency-key", key)
            .json(body)
    };
    let (s1, v1) = send(send_with("k-1", &body)).await;
    let (s2, v2) = send(send_with("k-1", &body)).await;
    assert_eq!((s1, s2), (201, 201));
    assert_eq!(v1, v2);
    let (_, page) = get(&app, "/v1/investors", "acme/carla").await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    let got = send(send_with("k-1", &individual("Ada Lovelace", "GB"))).await;
    assert_error(&got, 409, "IDEMPOTENCY_KEY_REUSED");
}

/// Found by schemathesis: a NUL character in a filter reached PostgreSQL and came back as a 500.
#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn nul_characters_are_refused_before_the_database(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let got = get(
        &app,
        "/v1/investors?country=%00M&kyc_status=review",
        "acme/carla",
    )
    .await;
    assert_error(&got, 400, "VALIDATION_ERROR");
    let got = post(
        &app,
        "/v1/investors",
        "acme/carla",
        json!({"type": "individual", "legal_name": "Nul\u{0}Person", "email": "n@example.com", "country": "US"}),
    )
    .await;
    let details = assert_error(&got, 400, "VALIDATION_ERROR");
    assert!(details["fields"].get("legal_name").is_some(), "{details}");
    let (_, list) = get(&app, "/v1/investors", "acme/carla").await;
    assert_eq!(list["data"], json!([]));
}
