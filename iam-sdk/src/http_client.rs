//! The HTTP client the SDK builds when the service does not hand it one.

use std::time::Duration;

/// Installs ring as the process's rustls provider unless one is already installed.
///
/// reqwest is built without a provider of its own and panics when building a client
/// without one; whoever installs first wins, and the loser's error is expected.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _already_installed = rustls::crypto::ring::default_provider().install_default();
    }
}

/// A client with a whole-request timeout, so a hung IAM cannot hang a request path.
pub(crate) fn build(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    install_crypto_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(3)))
        .build()
}
