//! The claims of a Casdoor access token that the platform reads. Everything else is ignored.

use serde::{Deserialize, Deserializer};

/// `type` of a client-credentials token.
pub const APPLICATION_TOKEN_TYPE: &str = "application";

/// A validated token's claims.
///
/// Casdoor puts the whole user object in its tokens; only what the platform needs is kept.
/// Absent or `null` string claims read as empty strings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Claims {
    /// The user's organization; for an application token, the application's owner.
    #[serde(default, deserialize_with = "null_as_default")]
    pub owner: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub id: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub sub: String,
    /// Role names. Casdoor sends role objects (`{"owner", "name", "displayName", ...}`),
    /// other issuers plain strings; both are read, and disabled role objects are dropped.
    #[serde(default, deserialize_with = "roles")]
    pub roles: Vec<String>,
    /// Space-separated scopes.
    #[serde(default, deserialize_with = "null_as_default")]
    pub scope: String,
    /// `"application"` for client-credentials tokens, `"normal-user"` and the like otherwise.
    #[serde(rename = "type", default, deserialize_with = "null_as_default")]
    pub token_type: String,
    pub iss: String,
    pub aud: Audience,
    pub exp: u64,
    #[serde(default)]
    pub iat: Option<u64>,
    #[serde(default)]
    pub nbf: Option<u64>,
}

impl Claims {
    pub fn is_application(&self) -> bool {
        self.token_type == APPLICATION_TOKEN_TYPE
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split_ascii_whitespace().any(|s| s == scope)
    }
}

/// `aud` is either one string or a list of them (Casdoor sends a list).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub fn contains(&self, audience: &str) -> bool {
        match self {
            Self::One(a) => a == audience,
            Self::Many(list) => list.iter().any(|a| a == audience),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let slice: &[String] = match self {
            Self::One(a) => std::slice::from_ref(a),
            Self::Many(list) => list,
        };
        slice.iter().map(String::as_str)
    }
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RoleEntry {
    Name(String),
    Object(RoleObject),
}

#[derive(Deserialize)]
struct RoleObject {
    name: String,
    #[serde(rename = "isEnabled", default)]
    is_enabled: Option<bool>,
}

fn roles<'de, D>(deserializer: D) -> Result<Vec<String>, D::Error>
where
    D: Deserializer<'de>,
{
    let entries: Option<Vec<RoleEntry>> = Option::deserialize(deserializer)?;
    Ok(entries
        .unwrap_or_default()
        .into_iter()
        .filter_map(|entry| match entry {
            RoleEntry::Name(name) => Some(name),
            RoleEntry::Object(RoleObject {
                is_enabled: Some(false),
                ..
            }) => None,
            RoleEntry::Object(RoleObject { name, .. }) => Some(name),
        })
        .filter(|name| !name.is_empty())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: serde_json::Value) -> Claims {
        serde_json::from_slice(&serde_json::to_vec(&v).unwrap()).unwrap()
    }

    #[test]
    fn casdoor_role_objects_and_plain_strings() {
        let c = parse(json!({
            "owner": "acme", "name": "alice", "id": "u1", "sub": "u1",
            "roles": [
                {"owner": "acme", "name": "trader", "displayName": "Trader", "users": ["acme/alice"], "isEnabled": true, "createdTime": "2024-01-01T00:00:00Z"},
                {"owner": "acme", "name": "old", "isEnabled": false},
                "viewer"
            ],
            "iss": "i", "aud": ["cli"], "exp": 1, "iat": 0, "nbf": 0,
            "tokenType": "access-token", "score": 2000, "ranking": 1.5
        }));
        assert_eq!(c.roles, vec!["trader", "viewer"]);
        assert_eq!(c.owner, "acme");
        assert!(c.aud.contains("cli"));
        assert!(!c.is_application());
    }

    #[test]
    fn nulls_and_absences_read_as_empty() {
        let c = parse(json!({"roles": null, "owner": null, "iss": "i", "aud": "ats", "exp": 5}));
        assert!(c.roles.is_empty());
        assert_eq!(c.owner, "");
        assert_eq!(c.scope, "");
        assert_eq!(c.nbf, None);
        assert!(c.aud.contains("ats"));
        assert!(!c.aud.contains("bd"));
    }

    #[test]
    fn scopes_are_space_separated() {
        let c = parse(
            json!({"scope": "openid  internal", "type": "application", "iss": "i", "aud": "ats", "exp": 5}),
        );
        assert!(c.has_scope("internal"));
        assert!(c.has_scope("openid"));
        assert!(!c.has_scope("intern"));
        assert!(c.is_application());
    }
}
