//! `GET /v1/securities/{id}/ocf`: the export, as JSON and as the ZIP OCF tools open, validates
//! against the schemas of OCF release v1.2.0 (a copy in tests/ocf-schema, loaded by `$id`;
//! nothing is fetched), and names its holders as the real BD (started in-process on a database
//! of its own) holds them — or, when the BD cannot answer, by their ids with a comment saying
//! why.
//!
//! With `OCF_PYTHON` naming a Python that has the released `pyocf` library
//! (`scripts/ocf-check` sets one up), each ZIP is also loaded with it.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use common::{App, admin, app_with, globex, investor, token};
use md5::{Digest, Md5};
use reqwest::header::{ACCEPT, CONTENT_DISPOSITION, CONTENT_TYPE};
use sanctions::SanctionsList;
use serde_json::{Value, json};
use testkit::db::ExtraDatabase;
use testkit::{TestServer, assert_error, send};

const BASE: &str = "https://schema.opencaptablecoalition.com/v/1.2.0/";
const OFAC_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/ofac");
static LIST: LazyLock<Arc<SanctionsList>> =
    LazyLock::new(|| Arc::new(SanctionsList::load_dir(OFAC_DIR).unwrap()));

const FILES: [(&str, &str, &str); 3] = [
    (
        "stock_classes.ocf.json",
        "files/StockClassesFile.schema.json",
        "stock_classes_files",
    ),
    (
        "stakeholders.ocf.json",
        "files/StakeholdersFile.schema.json",
        "stakeholders_files",
    ),
    (
        "transactions.ocf.json",
        "files/TransactionsFile.schema.json",
        "transactions_files",
    ),
];

struct Ocf {
    schemas: boon::Schemas,
    compiler: boon::Compiler,
}

fn load(dir: &Path, compiler: &mut boon::Compiler, n: &mut usize) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            load(&path, compiler, n);
        } else if path.to_string_lossy().ends_with(".schema.json") {
            let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let id = v["$id"].as_str().unwrap().to_owned();
            assert!(id.starts_with(BASE), "{id} is not of the v1.2.0 release");
            compiler.add_resource(&id, v).unwrap();
            *n += 1;
        }
    }
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Ocf {
    fn new() -> Self {
        let mut compiler = boon::Compiler::new();
        compiler.enable_format_assertions();
        let mut n = 0;
        load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ocf-schema"),
            &mut compiler,
            &mut n,
        );
        assert!(n > 150, "only {n} schemas found");
        Self {
            schemas: boon::Schemas::new(),
            compiler,
        }
    }

    fn is_valid(&mut self, schema: &str, instance: &Value) -> bool {
        let idx = self
            .compiler
            .compile(&format!("{BASE}{schema}"), &mut self.schemas)
            .unwrap();
        self.schemas.validate(instance, idx).is_ok()
    }

    fn validate(&mut self, schema: &str, instance: &Value) {
        let url = format!("{BASE}{schema}");
        let idx = self
            .compiler
            .compile(&url, &mut self.schemas)
            .unwrap_or_else(|e| panic!("{schema}: {e}"));
        if let Err(e) = self.schemas.validate(instance, idx) {
            panic!("{schema} refuses the export: {e:#}\n{instance:#}");
        }
    }

    /// Validates a whole export (the JSON form) and checks its internal consistency.
    fn check(&mut self, export: &Value) {
        let manifest = &export["manifest"];
        self.validate("files/OCFManifestFile.schema.json", manifest);
        assert_eq!(manifest["ocf_version"], "1.2.0");
        let files = &export["files"];
        assert_eq!(files.as_object().unwrap().len(), FILES.len(), "{files}");
        for (name, schema, key) in FILES {
            self.validate(schema, &files[name]);
            let md5 = md5_hex(&serde_json::to_vec(&files[name]).unwrap());
            assert_eq!(
                manifest[key],
                json!([{"filepath": name, "md5": md5}]),
                "{name}"
            );
        }
        // Every security a transaction consumes was issued in this export, and is consumed
        // once; every stakeholder named is listed, and every one listed is named; object ids
        // are unique.
        let items = files["transactions.ocf.json"]["items"].as_array().unwrap();
        let issued: BTreeSet<&str> = items
            .iter()
            .filter(|t| t["object_type"] == "TX_STOCK_ISSUANCE")
            .map(|t| t["security_id"].as_str().unwrap())
            .collect();
        let mut consumed = BTreeSet::new();
        for t in items {
            if let Some(kind) = t["object_type"].as_str()
                && [
                    "TX_STOCK_TRANSFER",
                    "TX_STOCK_REPURCHASE",
                    "TX_STOCK_CONVERSION",
                ]
                .contains(&kind)
            {
                let id = t["security_id"].as_str().unwrap();
                assert!(issued.contains(id), "{kind} consumes {id}, never issued");
                assert!(consumed.insert(id), "{id} consumed twice");
                if let Some(balance) = t["balance_security_id"].as_str() {
                    assert!(issued.contains(balance), "balance {balance} never issued");
                }
            }
        }
        let stakeholders: BTreeSet<&str> = files["stakeholders.ocf.json"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        let named: BTreeSet<&str> = items
            .iter()
            .filter(|t| t["object_type"] == "TX_STOCK_ISSUANCE")
            .map(|t| t["stakeholder_id"].as_str().unwrap())
            .collect();
        assert_eq!(stakeholders, named);
        let ids: Vec<&str> = items.iter().map(|t| t["id"].as_str().unwrap()).collect();
        assert_eq!(
            ids.iter().collect::<BTreeSet<_>>().len(),
            ids.len(),
            "duplicate ids"
        );
    }

    /// Opens a ZIP package as an OCF tool would: `Manifest.ocf.json` at the root, exactly the
    /// files it names beside it, each validating against its schema, each file's bytes
    /// matching the manifest's MD5. Answers the package in the JSON form, checked.
    fn check_zip(&mut self, zip: &[u8]) -> Value {
        let entries = unzip(zip);
        let names: BTreeSet<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names.len(), entries.len(), "a name twice: {names:?}");
        let manifest_bytes = &entries
            .iter()
            .find(|(n, _)| n == "Manifest.ocf.json")
            .unwrap_or_else(|| panic!("no Manifest.ocf.json at the root: {names:?}"))
            .1;
        let manifest: Value = serde_json::from_slice(manifest_bytes).unwrap();
        self.validate("files/OCFManifestFile.schema.json", &manifest);
        let mut named = BTreeSet::from(["Manifest.ocf.json".to_owned()]);
        let mut files = serde_json::Map::new();
        for (key, refs) in manifest.as_object().unwrap() {
            let Some(refs) = refs.as_array().filter(|_| key.ends_with("_files")) else {
                continue;
            };
            for r in refs {
                let path = r["filepath"].as_str().unwrap();
                let (_, bytes) = entries
                    .iter()
                    .find(|(n, _)| n == path)
                    .unwrap_or_else(|| panic!("{path} named by the manifest, not in the ZIP"));
                assert_eq!(r["md5"], md5_hex(bytes), "{path}: MD5 of its bytes");
                let file: Value = serde_json::from_slice(bytes).unwrap();
                let (_, schema, _) = FILES.iter().find(|(n, _, _)| *n == path).unwrap();
                self.validate(schema, &file);
                named.insert(path.to_owned());
                files.insert(path.to_owned(), file);
            }
        }
        let present: BTreeSet<String> = names.iter().map(|n| (*n).to_owned()).collect();
        assert_eq!(
            present, named,
            "the ZIP holds exactly what the manifest names"
        );
        let export = json!({"manifest": manifest, "files": files});
        self.check(&export);
        export
    }
}

/// The entries of a ZIP archive (stored entries only, which is what the TA writes), read by
/// its central directory; each local header must agree with it.
fn unzip(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let u16_at = |at: usize| usize::from(u16::from_le_bytes([zip[at], zip[at + 1]]));
    let u32_at =
        |at: usize| u32::from_le_bytes([zip[at], zip[at + 1], zip[at + 2], zip[at + 3]]) as usize;
    let end = zip.len() - 22;
    assert_eq!(
        u32_at(end),
        0x0605_4b50,
        "no end of central directory record"
    );
    let mut at = u32_at(end + 16);
    (0..u16_at(end + 10))
        .map(|_| {
            assert_eq!(u32_at(at), 0x0201_4b50);
            assert_eq!(u16_at(at + 10), 0, "stored, not compressed");
            let len = u32_at(at + 24);
            let name_len = u16_at(at + 28);
            let local = u32_at(at + 42);
            let name = String::from_utf8(zip[at + 46..at + 46 + name_len].to_vec()).unwrap();
            assert_eq!(u32_at(local), 0x0403_4b50);
            assert_eq!(&zip[local + 30..local + 30 + name_len], name.as_bytes());
            let start = local + 30 + name_len + u16_at(local + 28);
            at += 46 + name_len + u16_at(at + 30) + u16_at(at + 32);
            (name, zip[start..start + len].to_vec())
        })
        .collect()
}

/// Writes a ZIP where a person can look at it, and has Python's own `zipfile` test it (and
/// `pyocf` load it, with `OCF_PYTHON`): answers (stakeholders, stock classes, transactions)
/// as pyocf counted them, when it ran.
fn open_with_python(zip: &[u8], file_name: &str) -> Option<(usize, usize, usize)> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ocf");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(file_name);
    std::fs::write(&path, zip).unwrap();
    match std::process::Command::new("python3")
        .args(["-m", "zipfile", "-t"])
        .arg(&path)
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "python3 -m zipfile -t {}: {}{}",
            path.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => eprintln!("python3 not found ({e}): the ZIP was not opened with Python"),
    }
    let python = std::env::var("OCF_PYTHON").ok()?;
    let script = "import sys\n\
from pyocf.captable import Captable\n\
c = Captable.load(sys.argv[1])\n\
print(len(c.stakeholders), len(c.stock_classes), len(c.transactions))\n\
for s in c.stakeholders:\n    print(s.name.legal_name, '|', s.stakeholder_type)\n";
    let out = std::process::Command::new(&python)
        .args(["-c", script])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pyocf could not load {}: {text}{}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("pyocf loaded {}:\n{text}", path.display());
    let counts: Vec<usize> = text
        .lines()
        .next()
        .unwrap()
        .split(' ')
        .map(|n| n.parse().unwrap())
        .collect();
    Some((counts[0], counts[1], counts[2]))
}

fn kinds(export: &Value) -> Vec<String> {
    export["files"]["transactions.ocf.json"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["object_type"].as_str().unwrap().to_owned())
        .collect()
}

fn stakeholders(export: &Value) -> Vec<Value> {
    export["files"]["stakeholders.ocf.json"]["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn stakeholder(export: &Value, id: &str) -> Value {
    stakeholders(export)
        .into_iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no stakeholder {id}"))
}

/// The BD, started in-process on a database of its own.
struct Bd {
    server: TestServer,
    db: ExtraDatabase,
}

async fn bd() -> Bd {
    let db = ExtraDatabase::create(&bd::MIGRATOR).await;
    let config = bd::Config::from_source(testkit::env(&[("OFAC_DIR", OFAC_DIR)])).unwrap();
    let platform =
        platform::Platform::with_pool(config.common.clone(), db.service.clone(), &bd::MIGRATOR)
            .unwrap();
    let list = LazyLock::force(&LIST).clone();
    let server = TestServer::start(bd::router(&platform, &config, list)).await;
    Bd { server, db }
}

impl Bd {
    /// An investor registered by acme's compliance officer; answers its id.
    async fn investor(&self, body: Value) -> String {
        let (s, v) = send(
            self.server
                .post("/v1/investors")
                .bearer_auth(token("acme/carla"))
                .json(&body),
        )
        .await;
        assert_eq!(s, 201, "{v}");
        v["id"].as_str().unwrap().to_owned()
    }

    async fn individual(&self, name: &str) -> String {
        self.investor(
            json!({"type": "individual", "legal_name": name, "email": "holder@example.com",
                             "country": "US", "date_of_birth": "1980-05-17"}),
        )
        .await
    }

    async fn entity(&self, name: &str) -> String {
        self.investor(json!({"type": "entity", "legal_name": name, "email": "ops@example.com", "country": "US",
                             "beneficial_owners": [{"name": "Hedy Lamarr", "ownership_percent": "100",
                                                    "country": "US", "date_of_birth": "1974-11-09"}]}))
            .await
    }

    /// How many lookups the BD has answered.
    async fn lookups(&self) -> u64 {
        let text = self
            .server
            .get("/metrics")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let counters = text
            .lines()
            .filter(|l| l.starts_with("http_requests_total{"));
        let mut lookups = 0;
        for l in counters {
            assert!(
                !l.contains("route=\"/v1/investors/{id}\""),
                "one investor asked at a time: {l}"
            );
            if l.contains("route=\"/v1/investors/lookup\"") {
                lookups += l.rsplit(' ').next().unwrap().parse::<u64>().unwrap();
            }
        }
        lookups
    }
}

async fn ta(pool: sqlx::PgPool, bd_url: &str) -> App {
    app_with(pool, &[("BD_URL", bd_url), ("TA_BD_TIMEOUT_SECS", "2")]).await
}

/// The ZIP form: status, `Content-Type`, `Content-Disposition` and the bytes.
async fn get_zip(
    app: &App,
    path: &str,
    token: &str,
    accept: Option<&str>,
) -> (u16, String, String, Vec<u8>) {
    let mut req = app.server.get(path).bearer_auth(token);
    if let Some(a) = accept {
        req = req.header(ACCEPT, a);
    }
    let res = req.send().await.unwrap();
    let header = |name| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (ct, cd) = (header(CONTENT_TYPE), header(CONTENT_DISPOSITION));
    (
        res.status().as_u16(),
        ct,
        cd,
        res.bytes().await.unwrap().to_vec(),
    )
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn export_validates_against_the_ocf_release_schemas(pool: sqlx::PgPool) {
    let bd = bd().await;
    let app = ta(pool, &bd.server.url).await;
    let com = app
        .security(
            "COM",
            "reg_d_506b",
            json!({"issuer_formation_date": "2019-04-01"}),
        )
        .await;
    let pref = app
        .security("PREF", "reg_d_506c", json!({"security_class": "preferred"}))
        .await;
    let rof = app
        .security("ROF", "registered", json!({"rofr_days": 5}))
        .await;
    let a = bd.individual("Ada Lovelace").await;
    let b = bd.entity("Analytical Engines LLC").await;
    let c = bd.individual("Charles Babbage").await;
    // A holder the BD does not know (the TA checks an investor id's form only).
    let d = investor();
    app.issue(&pref, &a, "10", "5.00", Some("2024-01-10")).await;
    app.issue(&pref, &b, "7", "5.00", Some("2024-01-10")).await;
    app.issue(&com, &c, "100", "0.0001", Some("2023-02-01"))
        .await;
    let (s, _) = app.transfer(&com, &c, &d, "30", "2.50").await;
    assert_eq!(s, 201);
    let split = json!({"type": "split", "asset_id": com, "ratio": "2:1"});
    assert_eq!(
        app.post("/v1/corporate-actions", &admin(), split).await.0,
        201
    );
    let convert = json!({"type": "conversion", "asset_id": pref, "target_asset_id": com,
                         "ratio": "1:1", "investor_id": a, "quantity": "4"});
    assert_eq!(
        app.post("/v1/corporate-actions", &admin(), convert).await.0,
        201
    );
    let redeem = json!({"type": "redemption", "asset_id": com, "investor_id": d,
                        "quantity": "10", "price_per_share": "3.00"});
    assert_eq!(
        app.post("/v1/corporate-actions", &admin(), redeem).await.0,
        201
    );
    let merge = json!({"type": "merger", "asset_id": pref, "target_asset_id": com,
                       "ratio": "3:2", "cash_in_lieu_price": "1.00"});
    let (s, m) = app.post("/v1/corporate-actions", &admin(), merge).await;
    assert_eq!(s, 201, "{m}");
    app.issue(&rof, &a, "10", "1.00", None).await;
    let (_, t1) = app.transfer(&rof, &a, &b, "3", "2.00").await;
    let (s, _) = app
        .post(
            &format!("/v1/transfers/{}/rofr", t1["id"].as_str().unwrap()),
            &admin(),
            json!({"action": "exercise"}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, t2) = app.transfer(&rof, &a, &b, "2", "2.00").await;
    let (s, _) = app
        .post(
            &format!("/v1/transfers/{}/rofr", t2["id"].as_str().unwrap()),
            &admin(),
            json!({"action": "waive"}),
        )
        .await;
    assert_eq!(s, 200);

    let mut ocf = Ocf::new();
    let before = bd.lookups().await;
    let (s, export) = app
        .get(&format!("/v1/securities/{com}/ocf"), &token("acme/vic"))
        .await;
    assert_eq!(s, 200, "{export}");
    // The holders' names in one call to the BD, whatever their number.
    assert_eq!(bd.lookups().await, before + 1);
    ocf.check(&export);
    let k = kinds(&export);
    for expected in [
        "TX_STOCK_ISSUANCE",
        "TX_STOCK_TRANSFER",
        "TX_STOCK_CLASS_SPLIT",
        "TX_STOCK_REPURCHASE",
    ] {
        assert!(
            k.iter().any(|x| x == expected),
            "{expected} missing from {k:?}"
        );
    }
    // The holders as the BD names them; one it does not know by its id, said so.
    assert_eq!(
        stakeholder(&export, &c),
        json!({"id": c, "object_type": "STAKEHOLDER", "name": {"legal_name": "Charles Babbage"},
               "stakeholder_type": "INDIVIDUAL"})
    );
    assert_eq!(
        stakeholder(&export, &a)["name"]["legal_name"],
        "Ada Lovelace"
    );
    let unknown = stakeholder(&export, &d);
    assert_eq!(unknown["name"]["legal_name"], d.as_str());
    assert!(
        unknown["comments"][0]
            .as_str()
            .unwrap()
            .contains("the broker-dealer has no investor"),
        "{unknown}"
    );
    let manifest = &export["manifest"];
    assert_eq!(manifest["issuer"]["legal_name"], "COM Inc.");
    assert_eq!(manifest["issuer"]["formation_date"], "2019-04-01");
    assert_eq!(manifest["as_of"], "2026-03-02");
    assert_eq!(manifest["comments"].as_array().unwrap().len(), 1);
    let class = &export["files"]["stock_classes.ocf.json"]["items"][0];
    assert_eq!(class["id"], com.as_str());
    assert_eq!(class["class_type"], "COMMON");
    let items = export["files"]["transactions.ocf.json"]["items"]
        .as_array()
        .unwrap();
    let transfer = items
        .iter()
        .find(|t| t["object_type"] == "TX_STOCK_TRANSFER")
        .unwrap();
    assert_eq!(transfer["quantity"], "30");
    assert!(transfer["balance_security_id"].is_string(), "{transfer}");
    let split = items
        .iter()
        .find(|t| t["object_type"] == "TX_STOCK_CLASS_SPLIT")
        .unwrap();
    assert_eq!(
        split["split_ratio"],
        json!({"numerator": "2", "denominator": "1"})
    );
    let first = &items[0];
    assert_eq!(
        first["share_price"],
        json!({"amount": "0.0001", "currency": "USD"})
    );
    assert_eq!(
        first["security_law_exemptions"][0]["description"],
        "Regulation D, Rule 506(b)"
    );

    let (_, export) = app
        .get(&format!("/v1/securities/{pref}/ocf"), &admin())
        .await;
    ocf.check(&export);
    let k = kinds(&export);
    assert_eq!(
        k.iter().filter(|x| *x == "TX_STOCK_CONVERSION").count(),
        3,
        "{k:?}"
    );
    assert_eq!(
        export["files"]["stock_classes.ocf.json"]["items"][0]["class_type"],
        "PREFERRED"
    );
    // An entity is an OCF institution.
    assert_eq!(
        stakeholder(&export, &b),
        json!({"id": b, "object_type": "STAKEHOLDER", "name": {"legal_name": "Analytical Engines LLC"},
               "stakeholder_type": "INSTITUTION"})
    );

    let (_, export) = app
        .get(&format!("/v1/securities/{rof}/ocf"), &admin())
        .await;
    ocf.check(&export);
    let k = kinds(&export);
    assert!(k.contains(&"TX_STOCK_REPURCHASE".to_owned()), "{k:?}");
    assert!(k.contains(&"TX_STOCK_TRANSFER".to_owned()), "{k:?}");

    // Each export's ZIP is the same package, opened as an OCF tool opens it.
    for (sec, symbol) in [(&com, "COM"), (&pref, "PREF"), (&rof, "ROF")] {
        let (_, json_form) = app
            .get(&format!("/v1/securities/{sec}/ocf"), &admin())
            .await;
        let (s, ct, cd, zip) = get_zip(
            &app,
            &format!("/v1/securities/{sec}/ocf?format=zip"),
            &admin(),
            None,
        )
        .await;
        assert_eq!((s, ct.as_str()), (200, "application/zip"));
        let file_name = format!("{symbol}-2026-03-02.ocf.zip");
        assert_eq!(cd, format!("attachment; filename=\"{file_name}\""));
        let zip_form = ocf.check_zip(&zip);
        assert_eq!(zip_form, json_form);
        if let Some((holders, classes, transactions)) = open_with_python(&zip, &file_name) {
            assert_eq!(holders, stakeholders(&zip_form).len());
            assert_eq!(classes, 1);
            assert_eq!(transactions, kinds(&zip_form).len());
        }
    }

    // The validator does refuse what the schemas forbid.
    let (_, export) = app
        .get(&format!("/v1/securities/{com}/ocf"), &admin())
        .await;
    let mut bad = export["manifest"].clone();
    bad["ocf_version"] = json!("1.2.1-alpha+main");
    assert!(!ocf.is_valid("files/OCFManifestFile.schema.json", &bad));
    let mut bad = export["files"]["transactions.ocf.json"].clone();
    bad["items"][0]["quantity"] = json!("1.12345678901");
    assert!(!ocf.is_valid("files/TransactionsFile.schema.json", &bad));
    let mut bad = export["files"]["transactions.ocf.json"].clone();
    bad["items"][0]["date"] = json!("2026-02-30");
    assert!(!ocf.is_valid("files/TransactionsFile.schema.json", &bad));
    let mut bad = export["files"]["stakeholders.ocf.json"].clone();
    bad["items"][0]["stakeholder_type"] = json!("ENTITY");
    assert!(!ocf.is_valid("files/StakeholdersFile.schema.json", &bad));

    // An empty security exports too, without asking the BD; another organization's is 404.
    let empty = app.security("EMPTY", "reg_cf", json!({})).await;
    let before = bd.lookups().await;
    let (_, export) = app
        .get(&format!("/v1/securities/{empty}/ocf"), &admin())
        .await;
    ocf.check(&export);
    let (s, _, _, zip) = get_zip(
        &app,
        &format!("/v1/securities/{empty}/ocf"),
        &admin(),
        Some("application/zip"),
    )
    .await;
    assert_eq!(s, 200);
    ocf.check_zip(&zip);
    assert_eq!(bd.lookups().await, before);
    assert_error(
        &app.get(&format!("/v1/securities/{com}/ocf"), &globex())
            .await,
        404,
        "NOT_FOUND",
    );
    assert_error(
        &app.get("/v1/securities/ast_q/ocf", &admin()).await,
        404,
        "NOT_FOUND",
    );
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn the_zip_form_and_its_errors(pool: sqlx::PgPool) {
    let bd = bd().await;
    let app = ta(pool, &bd.server.url).await;
    let com = app.security("BRK.B", "reg_d_506b", json!({})).await;
    let a = bd.individual("Grace Hopper").await;
    app.issue(&com, &a, "10", "1.00", None).await;
    let path = format!("/v1/securities/{com}/ocf");
    let mut ocf = Ocf::new();

    // `Accept: application/zip` asks for the ZIP; `format` wins over `Accept`.
    for (query, accept, zip) in [
        ("", Some("application/zip"), true),
        ("", Some("application/json;q=0.4, application/zip"), true),
        ("?format=zip", Some("application/json"), true),
        ("?format=zip", None, true),
        ("?format=json", Some("application/zip"), false),
        ("", Some("application/json"), false),
        ("", Some("*/*"), false),
        ("", None, false),
    ] {
        let (s, ct, cd, body) = get_zip(&app, &format!("{path}{query}"), &admin(), accept).await;
        assert_eq!(s, 200, "{query} {accept:?}");
        if zip {
            assert_eq!(ct, "application/zip", "{query} {accept:?}");
            assert_eq!(cd, "attachment; filename=\"BRK.B-2026-03-02.ocf.zip\"");
            let export = ocf.check_zip(&body);
            assert_eq!(
                stakeholder(&export, &a)["name"]["legal_name"],
                "Grace Hopper"
            );
        } else {
            assert!(
                ct.starts_with("application/json"),
                "{query} {accept:?}: {ct}"
            );
            assert!(cd.is_empty());
            let export: Value = serde_json::from_slice(&body).unwrap();
            ocf.check(&export);
        }
    }

    // Every error is the JSON envelope, whatever form was asked for.
    for accept in [Some("application/zip"), None] {
        let with = |req: reqwest::RequestBuilder| match accept {
            Some(a) => req.header(ACCEPT, a),
            None => req,
        };
        let (zip, xml) = (format!("{path}?format=zip"), format!("{path}?format=xml"));
        let cases = [
            (zip.as_str(), None, None, 401, "UNAUTHENTICATED"),
            (&zip, Some(globex()), None, 404, "NOT_FOUND"),
            (
                "/v1/securities/ast_q/ocf?format=zip",
                Some(admin()),
                None,
                404,
                "NOT_FOUND",
            ),
            (&xml, Some(admin()), None, 400, "VALIDATION_ERROR"),
            (&zip, Some(admin()), Some("globex"), 403, "FORBIDDEN"),
        ];
        for (url, token, org, status, code) in cases {
            let mut req = with(app.server.get(url));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            if let Some(o) = org {
                req = req.header("x-iam-org", o);
            }
            assert_error(&send(req).await, status, code);
        }
    }
    // The platform's services read it too (acting for an organization).
    let (s, ct, _, zip) = {
        let res = app
            .server
            .get(&format!("{path}?format=zip"))
            .bearer_auth(testkit::iam().service_token("ats"))
            .header("x-iam-org", "acme")
            .send()
            .await
            .unwrap();
        let ct = res.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
        (res.status().as_u16(), ct, (), res.bytes().await.unwrap())
    };
    assert_eq!((s, ct.as_str()), (200, "application/zip"));
    ocf.check_zip(&zip);

    // Both forms are documented.
    let (_, doc) = send(app.server.get("/openapi.json")).await;
    let op = &doc["paths"]["/v1/securities/{id}/ocf"]["get"];
    let content = &op["responses"]["200"]["content"];
    assert!(content["application/json"].is_object(), "{op}");
    assert_eq!(
        content["application/zip"]["schema"]["$ref"],
        "#/components/schemas/OcfZip"
    );
    assert_eq!(
        doc["components"]["schemas"]["OcfZip"]["format"], "binary",
        "{op}"
    );
    assert!(
        op["responses"]["200"]["headers"]["Content-Disposition"].is_object(),
        "{op}"
    );
    assert!(
        op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "format"),
        "{op}"
    );
}

/// Without the BD's answer the export is still answered, the holders named by their ids and
/// the package saying why: the BD stopped, the BD failing (a real BD whose investors table is
/// gone answers 500), and a BD that never answers.
#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn without_the_bd_the_holders_are_named_by_their_ids(pool: sqlx::PgPool) {
    let mut ocf = Ocf::new();

    async fn export(app: &App, com: &str) -> Value {
        let (s, export) = app
            .get(&format!("/v1/securities/{com}/ocf"), &admin())
            .await;
        assert_eq!(s, 200, "{export}");
        export
    }
    fn by_ids(export: &Value, why: &str) {
        for s in stakeholders(export) {
            assert_eq!(s["name"]["legal_name"], s["id"], "{s}");
            assert_eq!(s["stakeholder_type"], "INDIVIDUAL");
            let comment = s["comments"][0].as_str().unwrap();
            assert!(comment.contains(why), "{comment}");
            assert!(comment.contains("legal_name is the platform investor id"));
        }
        let note = export["manifest"]["comments"][1].as_str().unwrap();
        assert!(note.starts_with("holders' names unavailable"), "{note}");
        assert!(note.contains(why), "{note}");
    }

    // A BD that answered once, then stopped.
    let bd = bd().await;
    let app = ta(pool.clone(), &bd.server.url).await;
    let com = app.security("COM", "reg_d_506b", json!({})).await;
    let (a, b) = (
        bd.individual("Ada Lovelace").await,
        bd.entity("Analytical Engines LLC").await,
    );
    app.issue(&com, &a, "10", "1.00", None).await;
    app.issue(&com, &b, "5", "1.00", None).await;
    let named = export(&app, &com).await;
    assert_eq!(stakeholder(&named, &b)["stakeholder_type"], "INSTITUTION");

    // The BD failing: its investors table gone, it answers 500.
    sqlx::query("DROP TABLE investors CASCADE")
        .execute(&bd.db.admin)
        .await
        .unwrap();
    let failing = export(&app, &com).await;
    ocf.check(&failing);
    by_ids(&failing, "the broker-dealer answered 500");

    // The BD stopped: nothing listens at BD_URL.
    let Bd { server, db } = bd;
    drop(server);
    let down = export(&app, &com).await;
    ocf.check(&down);
    by_ids(&down, "the broker-dealer could not be reached");
    let (s, _, _, zip) = get_zip(
        &app,
        &format!("/v1/securities/{com}/ocf?format=zip"),
        &admin(),
        None,
    )
    .await;
    assert_eq!(s, 200);
    by_ids(&ocf.check_zip(&zip), "could not be reached");
    drop(db);

    // A BD that accepts the connection and never answers: the export waits
    // TA_BD_TIMEOUT_SECS (2 s here), not the request's whole timeout.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    let app = ta(pool, &url).await;
    let started = std::time::Instant::now();
    let slow = export(&app, &com).await;
    let waited = started.elapsed();
    assert!(
        waited >= std::time::Duration::from_secs(2) && waited < std::time::Duration::from_secs(10),
        "{waited:?}"
    );
    ocf.check(&slow);
    by_ids(&slow, "the broker-dealer did not answer within 2 s");
    held.abort();
}
