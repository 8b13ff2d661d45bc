//! Tokens already verified, so a client reusing its token (every client does, for an hour)
//! costs a hash lookup instead of an RSA signature check per request.
//!
//! Keyed by the SHA-256 of the whole token, so only the identical bytes hit. An entry is used
//! only while its signing key is still in the IAM's key set, for at most `TTL`, and never past
//! the token's own `exp`. The map is bounded; when full, expired entries go first, then
//! everything.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use sha2::{Digest, Sha256};

use crate::claims::Claims;

const TTL: Duration = Duration::from_secs(60);
const CAPACITY: usize = 10_000;

struct Entry {
    claims: Claims,
    kid: String,
    until: Instant,
}

#[derive(Default)]
pub(crate) struct VerifiedTokens {
    map: Mutex<HashMap<[u8; 32], Entry>>,
}

pub(crate) fn key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl VerifiedTokens {
    /// The remembered claims, if still usable; `key_known` says whether a kid is still published.
    pub(crate) fn get(
        &self,
        key: &[u8; 32],
        leeway: Duration,
        key_known: impl FnOnce(&str) -> bool,
    ) -> Option<Claims> {
        let map = self.map.lock().ok()?;
        let entry = map.get(key)?;
        let fresh = entry.until > Instant::now()
            && unix_now() <= entry.claims.exp.saturating_add(leeway.as_secs())
            && key_known(&entry.kid);
        fresh.then(|| entry.claims.clone())
    }

    pub(crate) fn put(&self, key: [u8; 32], kid: &str, claims: &Claims) {
        let Ok(mut map) = self.map.lock() else {
            return;
        };
        if map.len() >= CAPACITY {
            let now = Instant::now();
            map.retain(|_, e| e.until > now);
            if map.len() >= CAPACITY {
                map.clear();
            }
        }
        map.insert(
            key,
            Entry {
                claims: claims.clone(),
                kid: kid.to_owned(),
                until: Instant::now() + TTL,
            },
        );
    }
}
