//! OAuth 2.0 client credentials (RFC 6749 §4.4): `POST {base}/auth/token`
//! with the client id and secret as form fields, the token kept until a
//! refresh margin before it expires, and dropped on a `401` so the next
//! request fetches a fresh one.

use std::path::Path;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use super::EnergyMeterError;

/// The client id and secret. The secret never reaches a log: `Debug` redacts it.
#[derive(Clone)]
pub struct Credentials {
    pub client_id: String,
    client_secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .finish()
    }
}

impl Credentials {
    pub fn new(client_id: String, client_secret: String) -> Self {
        Self {
            client_id,
            client_secret,
        }
    }

    pub fn secret(&self) -> &str {
        &self.client_secret
    }

    /// Files `client-id` and `client-secret` in `dir` (the Kubernetes secret
    /// `energy-meter-credentials` mounted as a volume; one trailing newline
    /// is not part of the value).
    pub fn from_dir(dir: &Path) -> Result<Self, EnergyMeterError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path)
                .map(|s| s.trim_end_matches(['\n', '\r']).to_owned())
                .map_err(|e| {
                    EnergyMeterError::NotConfigured(format!(
                        "cannot read {} (ENERGY_METER_CREDENTIALS_DIR): {e}",
                        path.display()
                    ))
                })
        };
        let id = read("client-id")?;
        let secret = read("client-secret")?;
        if id.is_empty() || secret.is_empty() {
            return Err(EnergyMeterError::NotConfigured(format!(
                "client-id or client-secret in {} is empty",
                dir.display()
            )));
        }
        Ok(Self::new(id, secret))
    }
}

/// A bearer token and when to stop using it.
#[derive(Clone)]
pub(crate) struct Token {
    pub value: String,
    pub refresh_at: Instant,
}

/// The cached token of one connector.
pub(crate) struct TokenCache {
    margin: Duration,
    token: Mutex<Option<Token>>,
}

impl TokenCache {
    pub fn new(margin: Duration) -> Self {
        Self {
            margin,
            token: Mutex::new(None),
        }
    }

    /// When a token valid for `lifetime` from `issued` should be replaced:
    /// the margin before expiry, but never more than half the lifetime (a
    /// vendor that grants 30 s tokens must not be asked on every request).
    pub fn refresh_at(&self, issued: Instant, lifetime: Duration) -> Instant {
        let margin = self.margin.min(lifetime / 2);
        issued + lifetime.saturating_sub(margin)
    }

    /// The cached token if it is still good, else a fresh one from `fetch`
    /// (one fetch at a time: concurrent callers wait for it and share it).
    pub async fn get<F, Fut>(&self, fetch: F) -> Result<String, EnergyMeterError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Token, EnergyMeterError>>,
    {
        let mut slot = self.token.lock().await;
        if let Some(t) = slot.as_ref()
            && Instant::now() < t.refresh_at
        {
            return Ok(t.value.clone());
        }
        let fresh = fetch().await?;
        let value = fresh.value.clone();
        *slot = Some(fresh);
        Ok(value)
    }

    /// Forgets `rejected` (after a `401`), unless another caller already replaced it.
    pub async fn invalidate(&self, rejected: &str) {
        let mut slot = self.token.lock().await;
        if slot.as_ref().is_some_and(|t| t.value == rejected) {
            *slot = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_margin_is_at_most_half_the_lifetime() {
        let cache = TokenCache::new(Duration::from_secs(60));
        let now = Instant::now();
        assert_eq!(
            cache.refresh_at(now, Duration::from_secs(3600)),
            now + Duration::from_secs(3540)
        );
        assert_eq!(
            cache.refresh_at(now, Duration::from_secs(30)),
            now + Duration::from_secs(15)
        );
        assert_eq!(cache.refresh_at(now, Duration::ZERO), now);
    }

    #[test]
    fn credentials_never_print_the_secret() {
        let c = Credentials::new("id-1".into(), "hunter2".into());
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn credentials_are_read_from_the_mounted_secret() {
        let dir = std::env::temp_dir().join(format!("em-cred-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("client-id"), "abc\n").unwrap();
        std::fs::write(dir.join("client-secret"), "s3cret").unwrap();
        let c = Credentials::from_dir(&dir).unwrap();
        assert_eq!((c.client_id.as_str(), c.secret()), ("abc", "s3cret"));
        std::fs::remove_file(dir.join("client-secret")).unwrap();
        let err = Credentials::from_dir(&dir).unwrap_err();
        assert!(err.to_string().contains("client-secret"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
