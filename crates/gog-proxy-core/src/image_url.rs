//! Signed image URLs: `serpapi_lens` takes only a public image URL, so the proxy stores a crop
//! under its SHA-256 and hands the provider `{PUBLIC_URL}/v1/images/{sha256}?exp=…&sig=…`,
//! valid for [`LIFETIME`] seconds. The route serves only bytes the proxy stored, and only with
//! a signature made by this proxy's secret.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{ApiError, ErrorCode};

/// How long a provider may fetch the image, in seconds.
pub const LIFETIME: u64 = 600;

/// Domain separation from read tokens.
const CONTEXT: &[u8] = b"gog-image-v1.";

fn mac(secret: &[u8], sha256: &str, expires: u64) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(CONTEXT);
    mac.update(format!("{sha256}.{expires}").as_bytes());
    mac
}

/// The store key of an image by its hash.
pub fn store_key(sha256: &str) -> String {
    format!("image:{sha256}")
}

/// The URL a provider fetches the image from.
pub fn sign(public_url: &str, secret: &[u8], sha256: &str, now: u64) -> String {
    let expires = now + LIFETIME;
    let sig = URL_SAFE_NO_PAD.encode(mac(secret, sha256, expires).finalize().into_bytes());
    format!("{public_url}/v1/images/{sha256}?exp={expires}&sig={sig}")
}

/// Checks a request for `/v1/images/{sha256}` with query `query`.
pub fn verify(secret: &[u8], sha256: &str, query: &str, now: u64) -> Result<(), ApiError> {
    let refused = |why: &str| ApiError::new(ErrorCode::InvalidSignature, why.to_owned());
    let mut expires = None;
    let mut sig = None;
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "exp" => expires = value.parse::<u64>().ok(),
            "sig" => sig = URL_SAFE_NO_PAD.decode(value.as_bytes()).ok(),
            _ => {}
        }
    }
    let (Some(expires), Some(sig)) = (expires, sig) else {
        return Err(refused("an image URL needs exp and sig from this proxy"));
    };
    mac(secret, sha256, expires)
        .verify_slice(&sig)
        .map_err(|_| refused("the image URL was not signed by this proxy"))?;
    if now >= expires {
        return Err(refused("the image URL expired"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "ab12";

    fn query_of(url: &str) -> &str {
        url.split_once('?').map(|(_, q)| q).expect("a query")
    }

    #[test]
    fn a_signed_url_verifies_until_it_expires() {
        let url = sign("https://proxy.example", b"secret", SHA, 1000);
        assert!(url.starts_with("https://proxy.example/v1/images/ab12?exp=1600&sig="));
        assert_eq!(verify(b"secret", SHA, query_of(&url), 1599), Ok(()));
        let expired = verify(b"secret", SHA, query_of(&url), 1600).unwrap_err();
        assert_eq!(expired.code, ErrorCode::InvalidSignature);
    }

    #[test]
    fn another_image_secret_or_expiry_is_refused() {
        let url = sign("https://proxy.example", b"secret", SHA, 1000);
        assert!(verify(b"secret", "cd34", query_of(&url), 1001).is_err());
        assert!(verify(b"other", SHA, query_of(&url), 1001).is_err());
        let stretched = query_of(&url).replace("exp=1600", "exp=9999");
        assert!(verify(b"secret", SHA, &stretched, 1001).is_err());
        assert!(verify(b"secret", SHA, "", 1001).is_err());
    }
}
