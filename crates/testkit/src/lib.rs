//! Test support shared by the services' integration tests: one dev IAM per test binary, a
//! service served on port 0, tokens (valid and forged), and the identity suite every service
//! must pass.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod db;
pub mod forge;
pub mod identity;
pub mod tenancy;

pub use db::service_pool;

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::Router;
use platform::config::Env;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// A dev IAM living for the whole test binary on its own thread and runtime: each
/// `#[sqlx::test]` has a runtime of its own, which would take a per-test server down with it,
/// and one RSA key per binary keeps the tests fast.
pub struct SharedIam {
    pub iam: dev_iam::DevIam,
    pub url: String,
}

pub fn iam() -> &'static SharedIam {
    static IAM: OnceLock<SharedIam> = OnceLock::new();
    IAM.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
                let url = format!("http://{}", listener.local_addr().expect("addr"));
                let config = dev_iam::DevIamConfig {
                    issuer: url.clone(),
                    ..Default::default()
                };
                let iam = dev_iam::DevIam::new(config).expect("dev iam");
                tx.send(SharedIam {
                    iam: iam.clone(),
                    url,
                })
                .expect("send");
                iam.serve(listener, CancellationToken::new())
                    .await
                    .expect("serve");
            });
        });
        rx.recv().expect("dev IAM started")
    })
}

impl SharedIam {
    /// A user token (`org/name`) issued to the `cli` client, as a password grant would give.
    pub fn user_token(&self, username: &str) -> String {
        self.iam
            .user_token(username, "cli")
            .expect("known user")
            .access_token
    }

    /// A client-credentials token of a service client (`ats`, `bd`, `ta`), asking for scope
    /// `internal` as the services' own token requests do.
    pub fn service_token(&self, client: &str) -> String {
        self.iam
            .client_token(client, "internal")
            .expect("known client allowed the internal scope")
            .access_token
    }

    pub fn sign(&self, claims: &Value) -> String {
        self.iam.sign(claims).expect("sign")
    }
}

/// The environment a service under test reads: the shared IAM, port 0.
pub fn env(extra: &[(&str, &str)]) -> Env {
    let iam = iam();
    let mut vars: HashMap<String, String> = HashMap::new();
    vars.insert("IAM_URL".into(), iam.url.clone());
    vars.insert("IAM_ISSUER".into(), iam.url.clone());
    vars.insert("PORT".into(), "0".into());
    for (k, v) in extra {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    Env::from_map(vars)
}

/// A router served on a free port until dropped.
pub struct TestServer {
    pub url: String,
    pub http: reqwest::Client,
    shutdown: CancellationToken,
}

impl TestServer {
    pub async fn start(router: Router) -> Self {
        platform::install_crypto_provider();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let shutdown = CancellationToken::new();
        tokio::spawn(platform::app::serve(listener, router, shutdown.clone()));
        Self {
            url,
            http: reqwest::Client::new(),
            shutdown,
        }
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(format!("{}{path}", self.url))
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.post(format!("{}{path}", self.url))
    }

    pub fn delete(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.delete(format!("{}{path}", self.url))
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.url))
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Sends the request and returns the status and the JSON body, asserting the body is JSON.
pub async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let res = req.send().await.expect("request sent");
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = res.text().await.expect("body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("status {status}: body is not JSON ({ct}): {text:?}"));
    assert!(
        ct.starts_with("application/json"),
        "status {status}: content-type {ct:?}"
    );
    (status, body)
}

/// Asserts an error envelope with `status` and `code`, and returns its `details`.
pub fn assert_error(got: &(u16, Value), status: u16, code: &str) -> Value {
    let (s, body) = got;
    assert_eq!(*s, status, "unexpected status; body {body}");
    assert_eq!(body["error"]["code"], code, "unexpected code; body {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "error without a message: {body}"
    );
    assert!(
        body["error"]["details"].is_object(),
        "details must be an object: {body}"
    );
    body["error"]["details"].clone()
}
