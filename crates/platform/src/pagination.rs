//! Lists: `{"data": [...], "next_cursor": ...}` with `limit` (default 50, at most 500) and an
//! opaque `cursor`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// `limit` and `cursor`, the one pagination of every list. A handler takes it as its own
/// extractor next to its filter (`ApiQuery<ListParams>`, `ApiQuery<Filter>`; OpenAPI
/// `params(ListParams, Filter)`): utoipa cannot document a flattened parameter struct.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl ListParams {
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::validation(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            )),
        }
    }

    /// The decoded position after which the page starts, if any.
    pub fn after(&self) -> Result<Option<String>, ApiError> {
        self.cursor.as_deref().map(decode_cursor).transpose()
    }

    /// The position as a typed value (an id, usually); a cursor that does not decode to one is
    /// a 400 like any other foreign cursor.
    pub fn after_as<T>(&self, parse: impl Fn(&str) -> Option<T>) -> Result<Option<T>, ApiError> {
        match self.after()? {
            None => Ok(None),
            Some(s) => parse(&s)
                .map(Some)
                .ok_or_else(|| ApiError::validation("cursor", "not a cursor returned by this API")),
        }
    }
}

pub fn encode_cursor(position: &str) -> String {
    URL_SAFE_NO_PAD.encode(position.as_bytes())
}

pub fn decode_cursor(cursor: &str) -> Result<String, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| ApiError::validation("cursor", "not a cursor returned by this API"))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// `rows` were fetched with `limit + 1`: the extra row only tells that another page exists.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, position: impl Fn(&T) -> String) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|r| encode_cursor(&position(r)))
        } else {
            None
        };
        Self {
            data: rows,
            next_cursor,
        }
    }

    pub fn empty() -> Self {
        Self {
            data: Vec::new(),
            next_cursor: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_bounded() {
        let p = |l| ListParams {
            limit: l,
            cursor: None,
        };
        assert_eq!(p(None).limit().unwrap(), 50);
        assert_eq!(p(Some(500)).limit().unwrap(), 500);
        assert!(p(Some(501)).limit().is_err());
        assert!(p(Some(0)).limit().is_err());
        assert!(p(Some(-1)).limit().is_err());
    }

    #[test]
    fn typed_cursors_refuse_foreign_positions() {
        let p = ListParams {
            limit: None,
            cursor: Some(encode_cursor("not-a-number")),
        };
        assert!(p.after_as(|s| s.parse::<u32>().ok()).is_err());
        let p = ListParams {
            limit: None,
            cursor: Some(encode_cursor("42")),
        };
        assert_eq!(p.after_as(|s| s.parse::<u32>().ok()).unwrap(), Some(42));
    }

    #[test]
    fn pages_carry_a_cursor_only_when_more_exist() {
        let page = Page::from_rows(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!(page.data, vec![1, 2]);
        let cursor = page.next_cursor.unwrap();
        assert_eq!(decode_cursor(&cursor).unwrap(), "2");
        let page = Page::from_rows(vec![1, 2], 2, |n| n.to_string());
        assert!(page.next_cursor.is_none());
        assert!(decode_cursor("!!!").is_err());
    }
}
