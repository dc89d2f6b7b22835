//! What every request passes before a route sees it: basic auth against `basic_auth_users`
//! (bcrypt hashes), and the configured headers on every answer, refusals included.
//!
//! bcrypt at cost 10 takes tens of milliseconds of CPU, so a verified (user, password) pair is
//! remembered, by its SHA-256, for the next scrape; at most [`CACHE_ENTRIES`], the least
//! recently used going first. One bcrypt runs at a time, off the runtime's thread, so that
//! guesses cannot take every core nor stall the connections being served. An unknown user
//! costs a bcrypt too, against a configured user's hash (so at its cost) and refused whatever
//! it matches, so the time of an answer does not tell which users exist.

use aws_lc_rs::digest;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::Semaphore;

/// The most (user, password) pairs remembered, right or wrong.
const CACHE_ENTRIES: usize = 100;

/// Basic auth and headers, shared by every connection.
pub struct Guard {
    users: BTreeMap<String, String>,
    headers: HeaderMap,
    cache: Mutex<Cache>,
    bcrypt: Semaphore,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the hashes.
        f.debug_struct("Guard")
            .field("users", &self.users.len())
            .field("headers", &self.headers)
            .finish()
    }
}

impl Guard {
    /// A guard asking for one of `users` (none: nobody is asked) and adding `headers`.
    pub fn new(
        users: BTreeMap<String, String>,
        headers: &[(String, String)],
    ) -> Result<Guard, String> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            let value = HeaderValue::from_str(value).map_err(|_| {
                format!("http_server_config.headers: {name}: {value:?} is not a valid header value")
            })?;
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                format!("http_server_config.headers: {name:?} is not a header name")
            })?;
            map.insert(name, value);
        }
        Ok(Guard {
            users,
            headers: map,
            cache: Mutex::new(Cache::default()),
            bcrypt: Semaphore::new(1),
        })
    }

    /// Whether the request's `Authorization` names a user and their password.
    async fn admits(&self, authorization: Option<&HeaderValue>) -> bool {
        if self.users.is_empty() {
            return true;
        }
        let Some((user, password)) = authorization.and_then(basic_credentials) else {
            return false;
        };
        let known = std::str::from_utf8(&user)
            .ok()
            .and_then(|u| self.users.get(u));
        let key = cache_key(&user, &password);
        if let Some(admitted) = self.cached(&key) {
            return admitted;
        }
        let Ok(_turn) = self.bcrypt.acquire().await else {
            return false;
        };
        // Another request may have checked the same pair while this one waited.
        if let Some(admitted) = self.cached(&key) {
            return admitted;
        }
        let Some(hash) = known.or_else(|| self.users.values().next()).cloned() else {
            return false;
        };
        let checked = tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash)).await;
        let admitted = known.is_some() && matches!(checked, Ok(Ok(true)));
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, admitted);
        admitted
    }

    fn cached(&self, key: &[u8; 32]) -> Option<bool> {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
    }
}

/// `router` behind `guard`: every request, whatever its path, is checked first.
pub fn guard(router: Router, guard: Arc<Guard>) -> Router {
    router.layer(axum::middleware::from_fn_with_state(guard, check))
}

async fn check(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    let admitted = guard
        .admits(request.headers().get(header::AUTHORIZATION))
        .await;
    let mut response = if admitted {
        next.run(request).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic")],
            Body::from("Unauthorized\n"),
        )
            .into_response()
    };
    for (name, value) in &guard.headers {
        response.headers_mut().insert(name, value.clone());
    }
    response
}

/// The user and password of a `Basic` authorization, as Go's `Request.BasicAuth` reads it.
fn basic_credentials(value: &HeaderValue) -> Option<(Vec<u8>, Vec<u8>)> {
    let value = value.as_bytes();
    let (scheme, encoded) = value.split_at_checked(6)?;
    if !scheme.eq_ignore_ascii_case(b"basic ") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    Some((decoded[..colon].to_vec(), decoded[colon + 1..].to_vec()))
}

/// SHA-256 of the pair, each part's length first, so that no two pairs share a key.
fn cache_key(user: &[u8], password: &[u8]) -> [u8; 32] {
    let mut context = digest::Context::new(&digest::SHA256);
    for part in [user, password] {
        context.update(&(part.len() as u64).to_le_bytes());
        context.update(part);
    }
    let mut key = [0u8; 32];
    key.copy_from_slice(context.finish().as_ref());
    key
}

/// Checked pairs, each with when it was last used.
#[derive(Default)]
struct Cache {
    entries: HashMap<[u8; 32], (bool, u64)>,
    clock: u64,
}

impl Cache {
    fn get(&mut self, key: &[u8; 32]) -> Option<bool> {
        self.clock += 1;
        let clock = self.clock;
        self.entries.get_mut(key).map(|(admitted, used)| {
            *used = clock;
            *admitted
        })
    }

    fn insert(&mut self, key: [u8; 32], admitted: bool) {
        if self.entries.len() >= CACHE_ENTRIES && !self.entries.contains_key(&key) {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| *k);
            if let Some(oldest) = oldest {
                self.entries.remove(&oldest);
            }
        }
        self.clock += 1;
        self.entries.insert(key, (admitted, self.clock));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(text: &str) -> HeaderValue {
        let encoded = base64::engine::general_purpose::STANDARD.encode(text);
        HeaderValue::from_str(&format!("Basic {encoded}")).unwrap()
    }

    #[test]
    fn credentials_are_read_as_go_reads_them() {
        assert_eq!(
            basic_credentials(&basic("alice:pa:ss")),
            Some((b"alice".to_vec(), b"pa:ss".to_vec()))
        );
        let lower = HeaderValue::from_static("basic YTpi");
        assert_eq!(
            basic_credentials(&lower),
            Some((b"a".to_vec(), b"b".to_vec()))
        );
        for bad in ["Bearer YTpi", "Basic !!!", "Basic", "Basic YWI="] {
            let value = HeaderValue::from_static(bad);
            assert_eq!(basic_credentials(&value), None, "{bad}");
        }
    }

    #[test]
    fn the_cache_keeps_the_most_recently_used() {
        let mut cache = Cache::default();
        let key = |i: u32| cache_key(b"user", &i.to_le_bytes());
        for i in 0..CACHE_ENTRIES as u32 {
            cache.insert(key(i), i % 2 == 0);
        }
        // Using the first keeps it; the second is the oldest when room is made.
        assert_eq!(cache.get(&key(0)), Some(true));
        cache.insert(key(1_000), true);
        assert_eq!(cache.entries.len(), CACHE_ENTRIES);
        assert_eq!(cache.get(&key(0)), Some(true));
        assert_eq!(cache.get(&key(1)), None);
        assert_eq!(cache.get(&key(3)), Some(false));
        // Length prefixes keep ("ab", "c") and ("a", "bc") apart.
        assert_ne!(cache_key(b"ab", b"c"), cache_key(b"a", b"bc"));
    }

    #[tokio::test]
    async fn only_a_user_with_the_right_password_is_admitted() {
        let hash = bcrypt::hash("secret", 4).unwrap();
        let users = BTreeMap::from([("alice".to_string(), hash)]);
        let guard = Guard::new(users, &[]).unwrap();
        assert!(guard.admits(Some(&basic("alice:secret"))).await);
        // Remembered: the same answer again.
        assert!(guard.admits(Some(&basic("alice:secret"))).await);
        assert!(!guard.admits(Some(&basic("alice:wrong"))).await);
        assert!(!guard.admits(Some(&basic("mallory:secret"))).await);
        assert!(!guard.admits(None).await);
        let open = Guard::new(BTreeMap::new(), &[]).unwrap();
        assert!(open.admits(None).await);
    }
}
