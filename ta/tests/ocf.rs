//! `GET /v1/securities/{id}/ocf`: the export validates against the official OCF JSON
//! schemas (a copy in tests/ocf-schema, loaded by `$id`; nothing is fetched).

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{admin, app, globex, investor, token};
use md5::{Digest, Md5};
use serde_json::{Value, json};
use testkit::assert_error;

const BASE: &str =
    "https://raw.githubusercontent.com/Open-Cap-Table-Coalition/Open-Cap-Format-OCF/main/schema/";

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
            compiler.add_resource(&id, v).unwrap();
            *n += 1;
        }
    }
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

    /// Validates a whole export and checks its internal consistency.
    fn check(&mut self, export: &Value) {
        let manifest = &export["manifest"];
        self.validate("files/OCFManifestFile.schema.json", manifest);
        let files = &export["files"];
        for (name, schema, key) in [
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
        ] {
            self.validate(schema, &files[name]);
            let md5: String = Md5::digest(serde_json::to_vec(&files[name]).unwrap())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(manifest[key][0]["filepath"], name);
            assert_eq!(manifest[key][0]["md5"], md5.as_str(), "{name}");
        }
        // Every security a transaction consumes was issued in this export, and is consumed
        // once; every stakeholder named is listed; object ids are unique.
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
        for t in items
            .iter()
            .filter(|t| t["object_type"] == "TX_STOCK_ISSUANCE")
        {
            assert!(stakeholders.contains(t["stakeholder_id"].as_str().unwrap()));
        }
        let ids: Vec<&str> = items.iter().map(|t| t["id"].as_str().unwrap()).collect();
        assert_eq!(
            ids.iter().collect::<BTreeSet<_>>().len(),
            ids.len(),
            "duplicate ids"
        );
    }
}

fn kinds(export: &Value) -> Vec<String> {
    export["files"]["transactions.ocf.json"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["object_type"].as_str().unwrap().to_owned())
        .collect()
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn export_validates_against_the_ocf_schemas(pool: sqlx::PgPool) {
    let app = app(pool).await;
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
    let (a, b, c, d) = (investor(), investor(), investor(), investor());
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
    let (s, export) = app
        .get(&format!("/v1/securities/{com}/ocf"), &token("acme/vic"))
        .await;
    assert_eq!(s, 200, "{export}");
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
    let manifest = &export["manifest"];
    assert_eq!(manifest["issuer"]["legal_name"], "COM Inc.");
    assert_eq!(manifest["issuer"]["formation_date"], "2019-04-01");
    assert_eq!(manifest["as_of"], "2026-03-02");
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

    let (_, export) = app
        .get(&format!("/v1/securities/{rof}/ocf"), &admin())
        .await;
    ocf.check(&export);
    let k = kinds(&export);
    assert!(k.contains(&"TX_STOCK_REPURCHASE".to_owned()), "{k:?}");
    assert!(k.contains(&"TX_STOCK_TRANSFER".to_owned()), "{k:?}");

    // The validator does refuse what the schemas forbid.
    let (_, export) = app
        .get(&format!("/v1/securities/{com}/ocf"), &admin())
        .await;
    let mut bad = export["manifest"].clone();
    bad["ocf_version"] = json!("0.1");
    assert!(!ocf.is_valid("files/OCFManifestFile.schema.json", &bad));
    let mut bad = export["files"]["transactions.ocf.json"].clone();
    bad["items"][0]["quantity"] = json!("1.12345678901");
    assert!(!ocf.is_valid("files/TransactionsFile.schema.json", &bad));
    let mut bad = export["files"]["transactions.ocf.json"].clone();
    bad["items"][0]["date"] = json!("2026-02-30");
    assert!(!ocf.is_valid("files/TransactionsFile.schema.json", &bad));

    // An empty security exports too; another organization's is 404.
    let empty = app.security("EMPTY", "reg_cf", json!({})).await;
    let (_, export) = app
        .get(&format!("/v1/securities/{empty}/ocf"), &admin())
        .await;
    ocf.check(&export);
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
