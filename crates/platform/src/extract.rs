//! Extractors whose rejections are the API envelope, never axum's plain-text bodies.

use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ErrorCode};

/// JSON body extractor. The Content-Type is not enforced (curl's `-d` sends a form type and
/// bearer-token APIs gain nothing from the check); the body itself must be JSON.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(bytes_rejection)?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// An optional JSON body: an empty (or all-whitespace) body is `None`, anything else must be
/// a valid `T` (the same rejections as [`ApiJson`]).
#[derive(Debug, Clone, Default)]
pub struct OptionalJson<T>(pub Option<T>);

impl<T, S> FromRequest<S> for OptionalJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(bytes_rejection)?;
        parse_json_or_empty(&bytes).map(OptionalJson)
    }
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        crate::error::json_response(axum::http::StatusCode::OK, &self.0)
    }
}

fn bytes_rejection(e: BytesRejection) -> ApiError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(ErrorCode::PayloadTooLarge, "request body is too large")
    } else {
        ApiError::malformed_json("could not read the request body")
    }
}

/// Parses a JSON document, naming the offending field on a type mismatch or a missing field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::malformed_json(
            "request body is empty; a JSON document is required",
        ));
    }
    // Syntax first, over the whole document: `{}{}` is malformed, not a missing field. The same
    // pass refuses NUL characters, which PostgreSQL cannot store in text or jsonb.
    let mut scan = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize::<_, NoNul>(&mut scan).map_err(|e| {
        // The path may name a key holding the NUL itself: the answer must not carry it.
        let path = e.path().to_string().replace('\0', "\u{FFFD}");
        json_error(&path, e.inner())
    })?;
    scan.end().map_err(|e| json_error(".", &e))?;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        json_error(&path, &inner)
    })?;
    de.end().map_err(|e| json_error(".", &e))?;
    Ok(value)
}

/// [`parse_json`] for an optional body: an empty (or all-whitespace) body is `None`.
pub fn parse_json_or_empty<T: DeserializeOwned>(bytes: &[u8]) -> Result<Option<T>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    parse_json(bytes).map(Some)
}

const NUL_MESSAGE: &str = "text must not contain NUL characters (\\u0000)";

/// Any JSON document whose strings and keys are free of NUL characters.
struct NoNul;

impl<'de> serde::Deserialize<'de> for NoNul {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NoNulVisitor)
    }
}

struct NoNulVisitor;

impl<'de> serde::de::Visitor<'de> for NoNulVisitor {
    type Value = NoNul;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<NoNul, E> {
        Ok(NoNul)
    }
    fn visit_i64<E>(self, _: i64) -> Result<NoNul, E> {
        Ok(NoNul)
    }
    fn visit_u64<E>(self, _: u64) -> Result<NoNul, E> {
        Ok(NoNul)
    }
    fn visit_i128<E>(self, _: i128) -> Result<NoNul, E> {
        Ok(NoNul)
    }
    fn visit_u128<E>(self, _: u128) -> Result<NoNul, E> {
        Ok(NoNul)
    }
    fn visit_f64<E>(self, _: f64) -> Result<NoNul, E> {
        Ok(NoNul)
    }
    fn visit_unit<E>(self) -> Result<NoNul, E> {
        Ok(NoNul)
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<NoNul, E> {
        if v.contains('\0') {
            return Err(E::custom(NUL_MESSAGE));
        }
        Ok(NoNul)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<NoNul, A::Error> {
        while seq.next_element::<NoNul>()?.is_some() {}
        Ok(NoNul)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<NoNul, A::Error> {
        while map.next_entry::<NoNul, NoNul>()?.is_some() {}
        Ok(NoNul)
    }
}

/// Refuses a request whose path or query string carries a NUL character (`%00`) before any
/// handler sees it: PostgreSQL cannot store one, and no identifier or filter holds one.
pub async fn refuse_nul_in_uri(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let uri = req.uri();
    let field = if uri.path().contains("%00") {
        Some("path")
    } else if uri.query().is_some_and(|q| q.contains("%00")) {
        Some("query")
    } else {
        None
    };
    match field {
        Some(field) => ApiError::validation(field, NUL_MESSAGE).into_response(),
        None => next.run(req).await,
    }
}

fn json_error(path: &str, e: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => ApiError::malformed_json(format!(
            "request body is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        )),
        Category::Data => {
            let raw = e.to_string();
            // serde_json appends " at line L column C"; the position is noise next to the path.
            let message = raw
                .rsplit_once(" at line ")
                .map_or(raw.as_str(), |(m, _)| m)
                .to_owned();
            let field = field_name(path, &message);
            ApiError::validation(&field, message)
        }
    }
}

/// A missing field is reported at its parent's path; name the field itself.
fn field_name(path: &str, message: &str) -> String {
    // serde_json's arbitrary-precision numbers are a private map; the field is its parent.
    let path = path
        .strip_suffix(".$serde_json::private::Number")
        .unwrap_or(path);
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match (path, missing) {
        (".", Some(f)) => f.to_owned(),
        (p, Some(f)) => format!("{p}.{f}"),
        (".", None) => "body".to_owned(),
        (p, None) => p.to_owned(),
    }
}

/// Query-string extractor with envelope rejections.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e: QueryRejection| {
                let text = e.body_text();
                let message = text
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&text)
                    .to_owned();
                ApiError::new(
                    ErrorCode::ValidationError,
                    format!("invalid query string: {message}"),
                )
                .with_detail("fields", serde_json::json!({ "query": message }))
            })
    }
}

/// Path-parameter extractor with envelope rejections.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e: PathRejection| {
                ApiError::new(ErrorCode::ValidationError, "invalid path parameter")
                    .with_detail("reason", e.body_text())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Order {
        quantity: Decimal,
        side: Side,
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Side {
        Buy,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        n: u32,
    }

    fn err(body: &str) -> ApiError {
        parse_json::<Order>(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn syntax_errors_are_malformed_json() {
        for body in ["{", "{\"quantity\": }", "not json", "{}{}", ""] {
            assert_eq!(err(body).code, ErrorCode::MalformedJson, "{body}");
        }
    }

    #[test]
    fn missing_fields_are_named() {
        let e = err(r#"{"side":"buy"}"#);
        assert_eq!(e.code, ErrorCode::ValidationError);
        assert!(
            e.details["fields"].get("quantity").is_some(),
            "{:?}",
            e.details
        );
    }

    #[test]
    fn wrong_types_name_the_path() {
        let e = err(r#"{"quantity":"1","side":"buy","inner":{"n":"x"}}"#);
        assert!(
            e.details["fields"].get("inner.n").is_some(),
            "{:?}",
            e.details
        );
        let e = err(r#"{"quantity":"1","side":"sell"}"#);
        assert!(e.details["fields"].get("side").is_some(), "{:?}", e.details);
        let e = err(r#"{"quantity":"abc","side":"buy"}"#);
        assert!(
            e.details["fields"].get("quantity").is_some(),
            "{:?}",
            e.details
        );
    }

    #[test]
    fn oversized_numbers_name_their_field() {
        let e = err(r#"{"quantity":1e400,"side":"buy"}"#);
        assert!(
            e.details["fields"].get("quantity").is_some(),
            "{:?}",
            e.details
        );
    }

    #[test]
    fn nul_characters_are_refused_where_they_stand() {
        for (body, field) in [
            (r#"{"quantity":"1","side":"buy\u0000"}"#, "side"),
            (
                r#"{"quantity":"1","side":"buy","inner":{"n":1,"x":["a","\u0000"]}}"#,
                "inner.x[1]",
            ),
            (r#"{"quantity":"1","side":"buy","k\u0000":1}"#, "k\u{FFFD}"),
        ] {
            let e = err(body);
            assert_eq!(e.code, ErrorCode::ValidationError, "{body}");
            let fields = e.details["fields"].as_object().unwrap();
            assert!(fields.len() == 1, "{body}: {fields:?}");
            let (name, message) = fields.iter().next().unwrap();
            assert_eq!(name, field, "{body}");
            assert!(
                message.as_str().unwrap().contains("NUL"),
                "{body}: {message}"
            );
        }
        // An escaped backslash before "u0000" is ordinary text.
        let v: serde_json::Value = parse_json(br#"{"note":"\\u0000"}"#).unwrap();
        assert_eq!(v["note"], "\\u0000");
    }

    #[test]
    fn decimals_accept_strings_and_exact_numbers() {
        let o: Order = parse_json(br#"{"quantity":0.1,"side":"buy"}"#).unwrap();
        assert_eq!(o.quantity.to_string(), "0.1");
        let o: Order = parse_json(br#"{"quantity":"187.50","side":"buy"}"#).unwrap();
        assert_eq!(o.quantity.to_string(), "187.50");
        let o: Order =
            parse_json(br#"{"quantity":12345678901234567.123456789,"side":"buy"}"#).unwrap();
        assert_eq!(o.quantity.to_string(), "12345678901234567.123456789");
    }
}
