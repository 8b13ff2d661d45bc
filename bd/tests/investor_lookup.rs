//! `POST /v1/investors/lookup`: many investors' names and types in one call, for the platform's
//! services; only the caller's organization's investors, unknown ids left out.

#![allow(clippy::unwrap_used)]

mod common;

use common::{app, create, create_as, individual, new_id, post, post_raw, post_service, token};
use reqwest::Method;
use serde_json::{Value, json};
use testkit::{assert_error, send};

const PATH: &str = "/v1/investors/lookup";

fn ids(answer: &Value) -> Vec<&str> {
    answer["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect()
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn names_the_organizations_investors_and_leaves_out_the_rest(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let grace = create(&app, individual("Grace Hopper", "US")).await;
    let entity = create(
        &app,
        json!({"type": "entity", "legal_name": "Pied Piper Ventures LLC", "email": "ops@piedpiper.example",
               "country": "US", "beneficial_owners": [
                   {"name": "Hedy Lamarr", "ownership_percent": "100", "country": "AT", "date_of_birth": "1974-11-09"}]}),
    )
    .await;
    let theirs = create_as(&app, "globex/admin", individual("Gus Fring", "US")).await;
    let unknown = new_id("inv");

    // The TA's service token acting for acme: acme's two, in id order, each once; globex's
    // investor and an unknown id are left out.
    let body = json!({"ids": [entity, unknown, grace, theirs, grace]});
    let (s, v) = post_service(&app, PATH, "acme", body.clone()).await;
    assert_eq!(s, 200, "{v}");
    let mut expected = vec![grace.as_str(), entity.as_str()];
    expected.sort_unstable();
    assert_eq!(ids(&v), expected, "{v}");
    let by_id = |id: &str| {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(
        by_id(&grace),
        json!({"id": grace, "type": "individual", "legal_name": "Grace Hopper"})
    );
    assert_eq!(
        by_id(&entity),
        json!({"id": entity, "type": "entity", "legal_name": "Pied Piper Ventures LLC"})
    );

    // Acting for globex, the same ids name globex's investor only.
    let (s, v) = post_service(&app, PATH, "globex", body.clone()).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(ids(&v), vec![theirs.as_str()]);
    assert_eq!(v["data"][0]["legal_name"], "Gus Fring");

    // Nobody known: an empty answer, not an error.
    let (s, v) = post_service(&app, PATH, "acme", json!({"ids": [unknown]})).await;
    assert_eq!((s, v), (200, json!({"data": []})));

    // Compliance and admins of the organization may ask too.
    for user in ["acme/carla", "acme/admin"] {
        let (s, v) = post(&app, PATH, user, body.clone()).await;
        assert_eq!(s, 200, "{user}: {v}");
        assert_eq!(ids(&v).len(), 2, "{user}: {v}");
    }
    let (s, v) = post(&app, PATH, "globex/admin", body.clone()).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(ids(&v), vec![theirs.as_str()]);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn roles_tokens_and_bad_input(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let grace = create(&app, individual("Grace Hopper", "US")).await;
    let body = json!({"ids": [grace]});

    // Traders and viewers may not; nor may a request without a token.
    for user in ["acme/alice", "acme/vic"] {
        assert_error(
            &post(&app, PATH, user, body.clone()).await,
            403,
            "FORBIDDEN",
        );
    }
    assert_error(
        &send(app.post(PATH).json(&body)).await,
        401,
        "UNAUTHENTICATED",
    );
    // A service token must name its organization; a user may not act for another.
    assert_error(
        &send(
            app.post(PATH)
                .bearer_auth(testkit::iam().service_token("ta"))
                .json(&body),
        )
        .await,
        403,
        "FORBIDDEN",
    );
    assert_error(
        &send(
            app.post(PATH)
                .bearer_auth(token("acme/carla"))
                .header("x-iam-org", "globex")
                .json(&body),
        )
        .await,
        403,
        "FORBIDDEN",
    );

    // The role is judged before the body: a trader's malformed body is still 403.
    assert_error(
        &post_raw(&app, PATH, "acme/alice", "{").await,
        403,
        "FORBIDDEN",
    );
    assert_error(
        &post_raw(&app, PATH, "acme/carla", "{").await,
        400,
        "MALFORMED_JSON",
    );
    let field = |got: (u16, Value), name: &str| {
        let details = assert_error(&got, 400, "VALIDATION_ERROR");
        assert!(
            details["fields"].get(name).is_some(),
            "{name} not named: {details}"
        );
    };
    field(post(&app, PATH, "acme/carla", json!({})).await, "ids");
    field(
        post(&app, PATH, "acme/carla", json!({"ids": []})).await,
        "ids",
    );
    field(
        post(&app, PATH, "acme/carla", json!({"ids": "x"})).await,
        "ids",
    );
    field(
        post(
            &app,
            PATH,
            "acme/carla",
            json!({"ids": [grace, "inv_nope"]}),
        )
        .await,
        "ids[1]",
    );
    field(
        post(&app, PATH, "acme/carla", json!({"ids": [grace, 7]})).await,
        "ids[1]",
    );
    field(
        post(&app, PATH, "acme/carla", json!({"ids": [new_id("ast")]})).await,
        "ids[0]",
    );
    field(
        post(
            &app,
            PATH,
            "acme/carla",
            json!({"ids": [grace], "organization_id": "globex"}),
        )
        .await,
        "organization_id",
    );
    // 500 ids at most.
    let many: Vec<String> = (0..500).map(|_| new_id("inv")).collect();
    let (s, v) = post(&app, PATH, "acme/carla", json!({"ids": many})).await;
    assert_eq!((s, v), (200, json!({"data": []})));
    let many: Vec<String> = (0..501).map(|_| new_id("inv")).collect();
    field(
        post(&app, PATH, "acme/carla", json!({"ids": many})).await,
        "ids",
    );
    // A GET of the path is not a lookup.
    let (s, _) = send(
        app.request(Method::GET, PATH)
            .bearer_auth(token("acme/carla")),
    )
    .await;
    assert!(s == 404 || s == 405, "{s}");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn a_replay_under_an_idempotency_key_answers_the_same(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let grace = create(&app, individual("Grace Hopper", "US")).await;
    let ask = || {
        app.post(PATH)
            .bearer_auth(token("acme/carla"))
            .header("idempotency-key", "lookup-1")
            .json(&json!({"ids": [grace]}))
    };
    let first = send(ask()).await;
    let again = send(ask()).await;
    assert_eq!(first.0, 200, "{}", first.1);
    assert_eq!(first, again);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn the_lookup_is_documented(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let (s, doc) = send(app.get("/openapi.json")).await;
    assert_eq!(s, 200);
    let op = &doc["paths"][PATH]["post"];
    assert!(op.is_object(), "POST {PATH} missing");
    for status in ["200", "400", "401", "403"] {
        assert!(op["responses"][status].is_object(), "{status} missing");
    }
    assert!(op["requestBody"].is_object());
    let schemas = &doc["components"]["schemas"];
    for name in ["LookupRequest", "LookupAnswer", "InvestorName"] {
        assert!(schemas[name].is_object(), "schema {name} missing");
    }
}
