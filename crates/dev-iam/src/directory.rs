//! The users and clients the dev IAM knows.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::DevIamError;

/// The organization that owns the platform's own applications.
pub const PLATFORM_ORG: &str = "liquidity";
/// The password of every built-in user.
pub const DEV_PASSWORD: &str = "devpass";

/// An OAuth2 client (a Casdoor application).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    pub client_id: String,
    pub client_secret: String,
    /// The application's owner; becomes the `owner` of its client-credentials tokens.
    #[serde(default = "platform_org")]
    pub organization: String,
    /// The space-separated scopes its client-credentials requests may ask for (`internal` for
    /// services); a token carries exactly the requested ones.
    #[serde(default)]
    pub scope: String,
}

/// A user of a tenant organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub organization: String,
    pub name: String,
    pub password: String,
    #[serde(default)]
    pub roles: Vec<String>,
    /// Fixed id; by default derived from `organization/name`, so it is stable across restarts
    /// and machines.
    #[serde(default)]
    pub id: Option<Uuid>,
}

impl User {
    /// The user's `id` and `sub` claim.
    pub fn id(&self) -> Uuid {
        self.id.unwrap_or_else(|| {
            let digest = Sha256::digest(
                format!("dev-iam user {}/{}", self.organization, self.name).as_bytes(),
            );
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(&digest[..16]);
            uuid::Builder::from_custom_bytes(bytes).into_uuid()
        })
    }

    /// `organization/name`, as in the password grant's `username`.
    pub fn username(&self) -> String {
        format!("{}/{}", self.organization, self.name)
    }
}

fn platform_org() -> String {
    PLATFORM_ORG.to_owned()
}

/// Everyone the dev IAM authenticates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    pub clients: Vec<Client>,
    pub users: Vec<User>,
}

/// The TOML file named by `DEV_IAM_CONFIG`. See the crate documentation for an example.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectoryFile {
    #[serde(default = "yes")]
    include_defaults: bool,
    #[serde(default)]
    clients: Vec<Client>,
    #[serde(default)]
    users: Vec<User>,
}

fn yes() -> bool {
    true
}

impl Default for Directory {
    fn default() -> Self {
        Self::defaults()
    }
}

impl Directory {
    /// API.md's table: clients `ats`, `bd`, `ta` (scope `internal`) and `cli`, all owned by
    /// `liquidity`; users of `acme` and `globex` with password `devpass`.
    pub fn defaults() -> Self {
        let client = |id: &str, scope: &str| Client {
            client_id: id.to_owned(),
            client_secret: format!("{id}-dev-secret"),
            organization: PLATFORM_ORG.to_owned(),
            scope: scope.to_owned(),
        };
        let user = |org: &str, name: &str, role: &str| User {
            organization: org.to_owned(),
            name: name.to_owned(),
            password: DEV_PASSWORD.to_owned(),
            roles: vec![role.to_owned()],
            id: None,
        };
        Self {
            clients: vec![
                client("ats", "internal"),
                client("bd", "internal"),
                client("ta", "internal"),
                client("cli", ""),
            ],
            users: vec![
                user("acme", "admin", "admin"),
                user("acme", "alice", "trader"),
                user("acme", "bob", "trader"),
                user("acme", "carla", "compliance"),
                user("acme", "vic", "viewer"),
                user("globex", "admin", "admin"),
                user("globex", "gus", "trader"),
            ],
        }
    }

    /// Reads a directory file. With `include_defaults` (the default) its entries are added to
    /// the built-in ones, replacing those with the same client id or `organization/name`.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let file: DirectoryFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut directory = if file.include_defaults {
            Self::defaults()
        } else {
            Self {
                clients: Vec::new(),
                users: Vec::new(),
            }
        };
        for client in file.clients {
            if client.client_id.is_empty() || client.client_secret.is_empty() {
                return Err("a client needs a non-empty client_id and client_secret".to_owned());
            }
            directory
                .clients
                .retain(|c| c.client_id != client.client_id);
            directory.clients.push(client);
        }
        for user in file.users {
            if user.organization.is_empty()
                || user.name.is_empty()
                || user.organization.contains('/')
                || user.name.contains('/')
            {
                return Err(format!(
                    "user {:?}: organization and name must be non-empty and free of '/'",
                    user.username()
                ));
            }
            directory
                .users
                .retain(|u| !(u.organization == user.organization && u.name == user.name));
            directory.users.push(user);
        }
        Ok(directory)
    }

    pub fn load(path: &Path) -> Result<Self, DevIamError> {
        let text = std::fs::read_to_string(path).map_err(|e| DevIamError::Config {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        Self::from_toml(&text).map_err(|message| DevIamError::Config {
            path: path.to_owned(),
            message,
        })
    }

    pub fn client(&self, client_id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.client_id == client_id)
    }

    pub fn user(&self, organization: &str, name: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.organization == organization && u.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_contract() {
        let d = Directory::defaults();
        for id in ["ats", "bd", "ta"] {
            let c = d.client(id).unwrap();
            assert_eq!(c.client_secret, format!("{id}-dev-secret"));
            assert_eq!(c.organization, "liquidity");
            assert_eq!(c.scope, "internal");
        }
        let cli = d.client("cli").unwrap();
        assert_eq!(cli.client_secret, "cli-dev-secret");
        assert_eq!(cli.scope, "");
        let expect = [
            ("acme", "admin", "admin"),
            ("acme", "alice", "trader"),
            ("acme", "bob", "trader"),
            ("acme", "carla", "compliance"),
            ("acme", "vic", "viewer"),
            ("globex", "admin", "admin"),
            ("globex", "gus", "trader"),
        ];
        assert_eq!(d.users.len(), expect.len());
        for (org, name, role) in expect {
            let u = d.user(org, name).unwrap();
            assert_eq!(u.password, "devpass");
            assert_eq!(u.roles, vec![role]);
        }
    }

    #[test]
    fn ids_are_stable_and_distinct() {
        let d = Directory::defaults();
        let a = d.user("acme", "admin").unwrap().id();
        let g = d.user("globex", "admin").unwrap().id();
        assert_ne!(a, g);
        assert_eq!(a, Directory::defaults().user("acme", "admin").unwrap().id());
    }

    #[test]
    fn file_entries_merge_over_defaults() {
        let d = Directory::from_toml(
            r#"
            [[clients]]
            client_id = "ats"
            client_secret = "rotated"
            scope = "internal"

            [[users]]
            organization = "acme"
            name = "dora"
            password = "pw"
            roles = ["trader", "compliance"]
            "#,
        )
        .unwrap();
        assert_eq!(d.client("ats").unwrap().client_secret, "rotated");
        assert_eq!(d.client("ats").unwrap().organization, "liquidity");
        assert_eq!(d.clients.len(), 4);
        assert_eq!(d.user("acme", "dora").unwrap().roles.len(), 2);
        assert!(d.user("acme", "alice").is_some());
    }

    #[test]
    fn file_can_replace_defaults() {
        let d = Directory::from_toml(
            r#"
            include_defaults = false
            [[users]]
            organization = "initech"
            name = "peter"
            password = "pw"
            id = "0190e4a2-0000-7000-8000-000000000001"
            "#,
        )
        .unwrap();
        assert!(d.clients.is_empty());
        assert_eq!(d.users.len(), 1);
        assert_eq!(
            d.users[0].id().to_string(),
            "0190e4a2-0000-7000-8000-000000000001"
        );
    }

    #[test]
    fn typos_are_errors() {
        assert!(Directory::from_toml("[[users]]\norganisation = \"acme\"").is_err());
        assert!(
            Directory::from_toml(
                "[[users]]\norganization = \"a/b\"\nname = \"x\"\npassword = \"p\""
            )
            .is_err()
        );
    }
}
