//! The BD's configuration: the shared settings, then its own (see each field).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use compliance::accreditation::AccreditationConfig;
use compliance::cat::CatConfig;
use compliance::cat::oats::OatsConfig;
use compliance::pretrade::PreTradePolicy;
use compliance::surveillance::SurveillanceConfig;
use platform::config::{AppEnv, CommonConfig, Env};
use rust_decimal::Decimal;
use sanctions::{SanctionedJurisdictions, SanctionsList, ScreeningConfig};

pub const SERVICE: &str = "bd";
pub const DEFAULT_PORT: u16 = 8090;

/// The variables the kyc crate reads (`kyc::from_lookup`).
const KYC_VARS: [&str; 9] = [
    "KYC_PROVIDER",
    "SUMSUB_BASE_URL",
    "SUMSUB_APP_TOKEN",
    "SUMSUB_SECRET_KEY",
    "SUMSUB_LEVEL_NAME",
    "SUMSUB_KYB_LEVEL_NAME",
    "SUMSUB_WEBHOOK_SECRET",
    "SUMSUB_TIMEOUT_SECS",
    "SUMSUB_WEBHOOK_MAX_AGE_SECS",
];

/// The KYC provider, shared. Debug prints its name only (it holds credentials).
#[derive(Clone)]
pub struct KycProviderHandle(pub kyc::SharedKycProvider);

impl fmt::Debug for KycProviderHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KycProvider({})", self.0.name())
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    /// `OFAC_DIR`: the OFAC SDN legacy CSV files (`sdn.csv`, `alt.csv`, `add.csv`,
    /// optionally `sdn_comments.csv`), relative to the working directory. Default `data/ofac`.
    pub ofac_dir: PathBuf,
    /// `SANCTIONED_JURISDICTIONS`: comma-separated ISO 3166-1 alpha-2 codes whose residents
    /// are refused. Default `CU,IR,KP,SY`.
    pub jurisdictions: SanctionedJurisdictions,
    /// `SANCTIONS_STRONG_THRESHOLD` (default 0.93, a hit: rejected) and
    /// `SANCTIONS_WEAK_THRESHOLD` (default 0.85, review).
    pub screening: ScreeningConfig,
    /// `ACCREDITATION_VALIDITY_DAYS` (default 90).
    pub accreditation: AccreditationConfig,
    pub pre_trade: PreTradePolicy,
    /// `SURVEILLANCE_CONCENTRATION_SHARE` (0.25), `SURVEILLANCE_CONCENTRATION_MIN_TRADES` (10),
    /// `SURVEILLANCE_CONCENTRATION_MIN_VOLUME` (0), `SURVEILLANCE_PRICE_DEVIATION` (0.10).
    pub surveillance: SurveillanceConfig,
    /// `CAT_IMID` (default `LQDY`), `CAT_REPORTING_EXCEPTION_CODE` (unset; only `F`, "reported
    /// on Form T", is accepted: see `compliance::cat`).
    pub cat: CatConfig,
    /// `OATS_MPID` (default `LQDY`).
    pub oats: OatsConfig,
    /// `KYC_PROVIDER` and the provider's variables (see the kyc crate).
    pub kyc: KycProviderHandle,
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_source(Env::from_process())
    }

    pub fn from_source(mut env: Env) -> anyhow::Result<Self> {
        let common = CommonConfig::read(&mut env, SERVICE, DEFAULT_PORT);

        let ofac_dir = PathBuf::from(env.string("OFAC_DIR", "data/ofac"));

        let codes = env.string("SANCTIONED_JURISDICTIONS", "CU,IR,KP,SY");
        let codes: Vec<String> = codes
            .split(',')
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect();
        let jurisdictions = match SanctionedJurisdictions::new(&codes) {
            Ok(j) => j,
            Err(e) => {
                env.error(format!("SANCTIONED_JURISDICTIONS: {e}"));
                SanctionedJurisdictions::default()
            }
        };

        let strong: f64 = env.parse(
            "SANCTIONS_STRONG_THRESHOLD",
            ScreeningConfig::DEFAULT_STRONG,
        );
        let weak: f64 = env.parse("SANCTIONS_WEAK_THRESHOLD", ScreeningConfig::DEFAULT_WEAK);
        let screening = match ScreeningConfig::new(strong, weak) {
            Ok(s) => s,
            Err(e) => {
                env.error(format!(
                    "SANCTIONS_STRONG_THRESHOLD / SANCTIONS_WEAK_THRESHOLD: {e}"
                ));
                ScreeningConfig::default()
            }
        };

        let validity_days: i64 = env.parse("ACCREDITATION_VALIDITY_DAYS", 90);
        if !(1..=3650).contains(&validity_days) {
            env.error("ACCREDITATION_VALIDITY_DAYS: must be between 1 and 3650");
        }
        let accreditation = AccreditationConfig {
            validity: time::Duration::days(validity_days.clamp(1, 3650)),
            ..AccreditationConfig::default()
        };

        let defaults = SurveillanceConfig::default();
        let surveillance = SurveillanceConfig {
            concentration_share: fraction(
                &mut env,
                "SURVEILLANCE_CONCENTRATION_SHARE",
                defaults.concentration_share,
            ),
            concentration_min_trades: env.parse(
                "SURVEILLANCE_CONCENTRATION_MIN_TRADES",
                defaults.concentration_min_trades,
            ),
            concentration_min_daily_volume: non_negative(
                &mut env,
                "SURVEILLANCE_CONCENTRATION_MIN_VOLUME",
                defaults.concentration_min_daily_volume,
            ),
            price_deviation: non_negative(
                &mut env,
                "SURVEILLANCE_PRICE_DEVIATION",
                defaults.price_deviation,
            ),
        };

        if common.app_env == AppEnv::Production && !env.is_set("CAT_IMID") {
            tracing::warn!("CAT_IMID is not set: CAT reports use the local stack's IMID LQDY");
        }
        let imid = env.string("CAT_IMID", "LQDY");
        let mut cat = match CatConfig::new(&imid) {
            Ok(c) => c,
            Err(e) => {
                env.error(format!("CAT_IMID: {e}"));
                CatConfig::new("LQDY").context("the default IMID")?
            }
        };
        cat.reporting_exception_code = env.opt_string("CAT_REPORTING_EXCEPTION_CODE");
        if let Err(e) = cat.validate() {
            env.error(format!("CAT_REPORTING_EXCEPTION_CODE: {e}"));
            cat.reporting_exception_code = None;
        }
        if common.app_env == AppEnv::Production && cat.reporting_exception_code.is_none() {
            tracing::warn!(
                "CAT_REPORTING_EXCEPTION_CODE is not set: trades without a tapeTradeID are CAT \
                 report exceptions, not MEOT records (set F if the firm reports them on Form T)"
            );
        }
        let mpid = env.string("OATS_MPID", "LQDY");
        let mut oats = match OatsConfig::new(&mpid) {
            Ok(c) => c,
            Err(e) => {
                env.error(format!("OATS_MPID: {e}"));
                OatsConfig::new("LQDY").context("the default MPID")?
            }
        };
        oats.reporting_exception_code = cat.reporting_exception_code.clone();

        let kyc_vars: Vec<(String, String)> = KYC_VARS
            .iter()
            .filter_map(|k| env.opt_string(k).map(|v| ((*k).to_owned(), v)))
            .collect();
        let kyc = match kyc::from_lookup(|key| {
            kyc_vars
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        }) {
            Ok(p) => p,
            Err(e) => {
                env.error(e.to_string());
                Arc::new(kyc::DevProvider)
            }
        };

        if common.app_env == AppEnv::Production && kyc.name() == kyc::DevProvider::NAME {
            env.error(
                "KYC_PROVIDER: the dev provider approves every identity and must not be used in \
                 production; set KYC_PROVIDER=sumsub and its SUMSUB_* variables",
            );
        }

        env.finish()?;
        Ok(Self {
            common,
            ofac_dir,
            jurisdictions,
            screening,
            accreditation,
            pre_trade: PreTradePolicy::default(),
            surveillance,
            cat,
            oats,
            kyc: KycProviderHandle(kyc),
        })
    }

    /// Replaces the KYC provider (tests use their own).
    pub fn with_kyc_provider(mut self, provider: kyc::SharedKycProvider) -> Self {
        self.kyc = KycProviderHandle(provider);
        self
    }

    /// Loads the OFAC list named by `OFAC_DIR`; the error says which file and line is wrong.
    pub fn load_sanctions(&self) -> anyhow::Result<Arc<SanctionsList>> {
        // The error's own text already carries its cause: no context chain, or it repeats.
        let list = SanctionsList::load_dir(&self.ofac_dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot load the OFAC SDN list from {} (OFAC_DIR; expects sdn.csv, alt.csv and \
                 add.csv in OFAC's legacy CSV format): {e}",
                self.ofac_dir.display()
            )
        })?;
        Ok(Arc::new(list))
    }
}

fn non_negative(env: &mut Env, key: &str, default: Decimal) -> Decimal {
    let v: Decimal = env.parse(key, default);
    if v.is_sign_negative() {
        env.error(format!("{key}: must not be negative"));
        return default;
    }
    v
}

fn fraction(env: &mut Env, key: &str, default: Decimal) -> Decimal {
    let v: Decimal = env.parse(key, default);
    if v <= Decimal::ZERO || v > Decimal::ONE {
        env.error(format!("{key}: must be a fraction in (0, 1], e.g. 0.25"));
        return default;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_map(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn defaults() {
        let c = Config::from_source(env(&[])).unwrap();
        assert_eq!(c.ofac_dir, PathBuf::from("data/ofac"));
        assert_eq!(
            c.jurisdictions.codes().collect::<Vec<_>>(),
            ["CU", "IR", "KP", "SY"]
        );
        assert_eq!(c.accreditation.validity, time::Duration::days(90));
        assert_eq!(c.cat.reporter_imid, "LQDY");
        assert_eq!(c.kyc.0.name(), "dev");
        assert_eq!(c.screening, ScreeningConfig::default());
    }

    #[test]
    fn every_error_is_reported() {
        let err = Config::from_source(env(&[
            ("SANCTIONED_JURISDICTIONS", "CU,UK"),
            ("SANCTIONS_STRONG_THRESHOLD", "0.5"),
            ("ACCREDITATION_VALIDITY_DAYS", "0"),
            ("SURVEILLANCE_CONCENTRATION_SHARE", "1.5"),
            ("CAT_IMID", "CRD:123"),
            ("KYC_PROVIDER", "onfido"),
        ]))
        .unwrap_err()
        .to_string();
        for key in [
            "SANCTIONED_JURISDICTIONS",
            "SANCTIONS_STRONG_THRESHOLD",
            "ACCREDITATION_VALIDITY_DAYS",
            "SURVEILLANCE_CONCENTRATION_SHARE",
            "CAT_IMID",
            "KYC_PROVIDER",
        ] {
            assert!(err.contains(key), "{key}: {err}");
        }
    }

    #[test]
    fn custom_values() {
        let c = Config::from_source(env(&[
            ("SANCTIONED_JURISDICTIONS", "ru, by"),
            ("ACCREDITATION_VALIDITY_DAYS", "30"),
            ("SURVEILLANCE_PRICE_DEVIATION", "0.2"),
        ]));
        // Codes are uppercase only, like the API's.
        assert!(c.is_err());
        let c = Config::from_source(env(&[
            ("SANCTIONED_JURISDICTIONS", "RU, BY"),
            ("ACCREDITATION_VALIDITY_DAYS", "30"),
            ("SURVEILLANCE_PRICE_DEVIATION", "0.2"),
        ]))
        .unwrap();
        assert!(c.jurisdictions.contains("RU") && !c.jurisdictions.contains("IR"));
        assert_eq!(c.accreditation.validity, time::Duration::days(30));
        assert_eq!(c.surveillance.price_deviation.to_string(), "0.2");
    }

    #[test]
    fn production_refuses_the_dev_kyc_provider() {
        let err = Config::from_source(env(&[
            ("APP_ENV", "production"),
            ("DATABASE_URL", "postgres://db/bd"),
            ("IAM_CLIENT_SECRET", "real"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(err.contains("KYC_PROVIDER"), "{err}");
        Config::from_source(env(&[
            ("APP_ENV", "production"),
            ("DATABASE_URL", "postgres://db/bd"),
            ("IAM_CLIENT_SECRET", "real"),
            ("KYC_PROVIDER", "sumsub"),
            ("SUMSUB_APP_TOKEN", "t"),
            ("SUMSUB_SECRET_KEY", "s"),
            ("SUMSUB_LEVEL_NAME", "basic-kyc-level"),
        ]))
        .unwrap();
    }

    #[test]
    fn only_form_t_is_a_firm_wide_reporting_exception_code() {
        let c = Config::from_source(env(&[("CAT_REPORTING_EXCEPTION_CODE", "F")])).unwrap();
        assert_eq!(c.cat.reporting_exception_code.as_deref(), Some("F"));
        assert_eq!(c.oats.reporting_exception_code.as_deref(), Some("F"));
        for (code, names) in [
            ("C", "clearingFirm"),
            ("P", "beneficial ownership"),
            ("N", "non-FINRA"),
            ("X", "C, F, N, P"),
        ] {
            let err = Config::from_source(env(&[("CAT_REPORTING_EXCEPTION_CODE", code)]))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("CAT_REPORTING_EXCEPTION_CODE") && err.contains(names),
                "{code}: {err}"
            );
        }
    }

    #[test]
    fn a_missing_list_fails_with_a_clear_message() {
        let c = Config::from_source(env(&[("OFAC_DIR", "/nonexistent/ofac")])).unwrap();
        let err = format!("{:#}", c.load_sanctions().unwrap_err());
        assert!(
            err.contains("OFAC_DIR") && err.contains("/nonexistent/ofac"),
            "{err}"
        );
    }
}
