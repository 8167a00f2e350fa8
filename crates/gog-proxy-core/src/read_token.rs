//! Tokens for `/v1/read`: the proxy reads only pages that it itself returned in a search result,
//! never an arbitrary URL a client names. Each result carries a token, an HMAC-SHA256 signature
//! over the page's address, the provider that returned it and an expiry, made with the proxy's
//! `TOKEN_SECRET`; `/v1/read` accepts a page only with a valid, unexpired token signed by this
//! proxy's secret.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// What a token vouches for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadGrant {
    /// The page: a URL for a live provider, a corpus page id offline.
    #[serde(rename = "u")]
    pub page: String,
    /// The provider that returned it.
    #[serde(rename = "p")]
    pub provider: String,
    /// Unix seconds after which the token is refused.
    #[serde(rename = "e")]
    pub expires: u64,
}

/// Why a token is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the read token is malformed")]
    Malformed,
    #[error("the read token was not issued by this proxy")]
    Forged,
    #[error("the read token expired; search again for a fresh one")]
    Expired,
}

/// Domain separation: a signature over something else (a signed image URL) is never a token.
const CONTEXT: &[u8] = b"gog-read-v1.";

fn mac(secret: &[u8], payload: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(CONTEXT);
    mac.update(payload.as_bytes());
    mac
}

/// Signs a grant: `base64url(JSON).base64url(HMAC)`.
pub fn issue(secret: &[u8], grant: &ReadGrant) -> String {
    let json = serde_json::to_vec(grant).expect("a grant is plain data");
    let payload = URL_SAFE_NO_PAD.encode(json);
    let signature = URL_SAFE_NO_PAD.encode(mac(secret, &payload).finalize().into_bytes());
    format!("{payload}.{signature}")
}

/// The grant a token carries, if this proxy signed it and it has not expired at `now` (Unix
/// seconds). The signature is compared in constant time.
pub fn verify(secret: &[u8], token: &str, now: u64) -> Result<ReadGrant, TokenError> {
    let (payload, signature) = token.split_once('.').ok_or(TokenError::Malformed)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenError::Malformed)?;
    mac(secret, payload)
        .verify_slice(&signature)
        .map_err(|_| TokenError::Forged)?;
    let json = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| TokenError::Malformed)?;
    let grant: ReadGrant = serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)?;
    if now >= grant.expires {
        return Err(TokenError::Expired);
    }
    Ok(grant)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a secret of this proxy";

    fn grant() -> ReadGrant {
        ReadGrant {
            page: "https://en.wikipedia.org/wiki/Eiffel_Tower".into(),
            provider: "serper".into(),
            expires: 2_000,
        }
    }

    #[test]
    fn a_token_reads_back_until_it_expires() {
        let token = issue(SECRET, &grant());
        assert_eq!(verify(SECRET, &token, 1_999), Ok(grant()));
        assert_eq!(verify(SECRET, &token, 2_000), Err(TokenError::Expired));
    }

    #[test]
    fn forged_foreign_and_malformed_tokens_are_refused() {
        let token = issue(SECRET, &grant());
        assert_eq!(
            verify(b"another proxy's secret", &token, 0),
            Err(TokenError::Forged)
        );
        // Another page under the same signature.
        let (_, signature) = token.split_once('.').expect("two parts");
        let mut other = grant();
        other.page = "http://169.254.169.254/latest/meta-data".into();
        let other_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&other).expect("JSON"));
        assert_eq!(
            verify(SECRET, &format!("{other_payload}.{signature}"), 0),
            Err(TokenError::Forged)
        );
        for garbage in ["", ".", "abc", "abc.def", "!!.??", &format!("{token}x")] {
            assert!(verify(SECRET, garbage, 0).is_err(), "{garbage:?}");
        }
        // Validly signed, but not a grant.
        let payload = URL_SAFE_NO_PAD.encode(b"[1,2,3]");
        let signature = URL_SAFE_NO_PAD.encode(mac(SECRET, &payload).finalize().into_bytes());
        assert_eq!(
            verify(SECRET, &format!("{payload}.{signature}"), 0),
            Err(TokenError::Malformed)
        );
    }
}
