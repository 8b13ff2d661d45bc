//! Identifiers with a type prefix (`ord_…`, `inv_…`): a UUIDv7 (time-ordered, so ids sort by
//! creation and index well) rendered as `prefix_` + 32 lowercase hex digits.

/// Defines a prefixed id newtype stored as a PostgreSQL `uuid`.
#[macro_export]
macro_rules! prefixed_id {
    ($(#[$meta:meta])* $name:ident, $prefix:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub $crate::__rt::uuid::Uuid);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            #[allow(clippy::new_without_default)]
            pub fn new() -> Self {
                Self($crate::__rt::uuid::Uuid::now_v7())
            }

            pub fn parse(s: &str) -> Option<Self> {
                $crate::ids::parse_prefixed(s, $prefix).map(Self)
            }

            pub fn uuid(self) -> $crate::__rt::uuid::Uuid {
                self.0
            }

            /// For ids in paths: a malformed id names nothing, so it is simply not found.
            pub fn parse_or_404(s: &str, what: &str) -> Result<Self, $crate::ApiError> {
                Self::parse(s).ok_or_else(|| $crate::ApiError::not_found(what, s))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}_{}", $prefix, self.0.simple())
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(self, f)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::ids::InvalidId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s).ok_or($crate::ids::InvalidId { prefix: $prefix })
            }
        }

        impl $crate::__rt::serde::Serialize for $name {
            fn serialize<S: $crate::__rt::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> $crate::__rt::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__rt::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as $crate::__rt::serde::Deserialize>::deserialize(d)?;
                Self::parse(&s).ok_or_else(|| {
                    <D::Error as $crate::__rt::serde::de::Error>::custom(format!(
                        "expected an id of the form {}_<32 hex digits>",
                        $prefix
                    ))
                })
            }
        }

        impl $crate::__rt::utoipa::PartialSchema for $name {
            fn schema() -> $crate::__rt::utoipa::openapi::RefOr<$crate::__rt::utoipa::openapi::schema::Schema> {
                $crate::ids::id_schema($prefix)
            }
        }

        impl $crate::__rt::utoipa::ToSchema for $name {}

        impl $crate::__rt::sqlx::Type<$crate::__rt::sqlx::Postgres> for $name {
            fn type_info() -> $crate::__rt::sqlx::postgres::PgTypeInfo {
                <$crate::__rt::uuid::Uuid as $crate::__rt::sqlx::Type<$crate::__rt::sqlx::Postgres>>::type_info()
            }
        }

        impl $crate::__rt::sqlx::postgres::PgHasArrayType for $name {
            fn array_type_info() -> $crate::__rt::sqlx::postgres::PgTypeInfo {
                <$crate::__rt::uuid::Uuid as $crate::__rt::sqlx::postgres::PgHasArrayType>::array_type_info()
            }
        }

        impl<'r> $crate::__rt::sqlx::Decode<'r, $crate::__rt::sqlx::Postgres> for $name {
            fn decode(
                value: $crate::__rt::sqlx::postgres::PgValueRef<'r>,
            ) -> Result<Self, $crate::__rt::sqlx::error::BoxDynError> {
                <$crate::__rt::uuid::Uuid as $crate::__rt::sqlx::Decode<'r, $crate::__rt::sqlx::Postgres>>::decode(value).map(Self)
            }
        }

        impl $crate::__rt::sqlx::Encode<'_, $crate::__rt::sqlx::Postgres> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut $crate::__rt::sqlx::postgres::PgArgumentBuffer,
            ) -> Result<$crate::__rt::sqlx::encode::IsNull, $crate::__rt::sqlx::error::BoxDynError> {
                <$crate::__rt::uuid::Uuid as $crate::__rt::sqlx::Encode<'_, $crate::__rt::sqlx::Postgres>>::encode_by_ref(&self.0, buf)
            }
        }
    };
}

// The identifiers of API.md (Conventions), defined once for every service: an id that crosses
// services (an investor, an asset, an order, a settlement...) is the same type at both ends.

crate::prefixed_id!(
    /// An order, `ord_…`, issued by the ATS.
    OrderId,
    "ord"
);
crate::prefixed_id!(
    /// A trade, `trd_…`, issued by the ATS.
    TradeId,
    "trd"
);
crate::prefixed_id!(
    /// A settlement of a trade, `stl_…`, issued by the ATS.
    SettlementId,
    "stl"
);
crate::prefixed_id!(
    /// An investor, `inv_…`, issued by the BD.
    InvestorId,
    "inv"
);
crate::prefixed_id!(
    /// A security, `ast_…`, issued by the TA (the TA calls it a security, the ATS and BD an
    /// asset: one id).
    AssetId,
    "ast"
);
crate::prefixed_id!(
    /// A transfer on the register, `trf_…`, issued by the TA.
    TransferId,
    "trf"
);
crate::prefixed_id!(
    /// A dividend declaration, `div_…`, issued by the TA.
    DividendId,
    "div"
);
crate::prefixed_id!(
    /// A corporate action (issuances included), `ca_…`, issued by the TA.
    CorporateActionId,
    "ca"
);
crate::prefixed_id!(
    /// A check kept for audit (KYC, accreditation, pre-trade, settlement), `chk_…`, issued by
    /// the BD.
    CheckId,
    "chk"
);
crate::prefixed_id!(
    /// An event of the ATS's outbox, `evt_…`.
    EventId,
    "evt"
);
crate::prefixed_id!(
    /// A routing decision to an external venue, `rte_…`, issued by the BD.
    RouteId,
    "rte"
);
crate::prefixed_id!(
    /// A surveillance alert, `alr_…`, issued by the BD.
    AlertId,
    "alr"
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidId {
    pub prefix: &'static str,
}

impl std::fmt::Display for InvalidId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "expected an id of the form {}_<32 hex digits>",
            self.prefix
        )
    }
}

impl std::error::Error for InvalidId {}

pub fn parse_prefixed(s: &str, prefix: &str) -> Option<uuid::Uuid> {
    let hex = s.strip_prefix(prefix)?.strip_prefix('_')?;
    if hex.len() != 32
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    uuid::Uuid::try_parse(hex).ok()
}

pub fn id_schema(prefix: &str) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!("^{prefix}_[0-9a-f]{{32}}$")))
        .examples([serde_json::Value::String(format!(
            "{prefix}_01936b3c9a7e7c2b8f4e1d2a3b4c5d6e"
        ))])
        .into()
}

#[cfg(test)]
mod tests {
    crate::prefixed_id!(TestId, "tst");

    #[test]
    fn round_trips_through_text_and_json() {
        let id = TestId::new();
        let s = id.to_string();
        assert!(s.starts_with(TestId::PREFIX) && s.len() == 36, "{s}");
        assert_eq!(s[4..], id.uuid().simple().to_string());
        assert_eq!(s.parse::<TestId>().unwrap(), id);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<TestId>(&json).unwrap(), id);
    }

    #[test]
    fn refuses_other_prefixes_and_shapes() {
        let id = TestId::new().to_string();
        assert!(TestId::parse(&id.replace("tst_", "ord_")).is_none());
        assert!(TestId::parse(&id.to_uppercase()).is_none());
        assert!(TestId::parse("tst_").is_none());
        assert!(TestId::parse("tst_123").is_none());
        assert!(TestId::parse(&format!("{id}0")).is_none());
        assert!(serde_json::from_str::<TestId>("42").is_err());
    }

    #[test]
    fn malformed_path_ids_are_not_found() {
        let e = TestId::parse_or_404("tst_nope", "thing").unwrap_err();
        assert_eq!(e.code, crate::ErrorCode::NotFound);
    }

    #[test]
    fn ids_sort_by_creation() {
        let a = TestId::new();
        let b = TestId::new();
        assert!(a < b);
    }
}
