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
    // Syntax first, over the whole document: `{}{}` is malformed, not a missing field.
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map_err(|e| json_error(".", &e))?;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        json_error(&path, &inner)
    })?;
    de.end().map_err(|e| json_error(".", &e))?;
    Ok(value)
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
