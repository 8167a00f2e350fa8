//! The per-provider daily spend cap: each provider call adds the provider's list price to a
//! counter per UTC day in the store, and a call that would pass the cap is refused before it is
//! made. Workers KV is eventually consistent, so concurrent requests in different locations can
//! overshoot by a few calls; the cap bounds a bill, it is not an invoice.

use crate::error::{ApiError, ErrorCode};
use crate::store::{Store, StoreError};

/// What a search does, for pricing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    ImageSearch,
    TextSearch,
    Read,
}

/// Which paid provider an operation calls, if any.
pub trait Priced {
    fn provider_for(&self, operation: Operation) -> Option<&'static str>;
}

const DAY: u64 = 86_400;

fn store_key(provider: &str, now: u64) -> String {
    format!("spend:{provider}:{}", now / DAY)
}

/// What `provider` has spent today, in micro-dollars.
pub async fn spent_today(store: &impl Store, provider: &str, now: u64) -> Result<u64, StoreError> {
    Ok(store
        .get(&store_key(provider, now))
        .await?
        .and_then(|bytes| std::str::from_utf8(&bytes).ok()?.parse().ok())
        .unwrap_or(0))
}

/// Counts one call at `price` micro-dollars against `provider`'s `cap`, or refuses it with
/// `daily_cap_reached` and the seconds until the next UTC midnight.
pub async fn charge(
    store: &impl Store,
    provider: &str,
    price: u64,
    cap: u64,
    now: u64,
) -> Result<(), ApiError> {
    let failed = |err: StoreError| ApiError::new(ErrorCode::UpstreamFailed, err.to_string());
    let spent = spent_today(store, provider, now).await.map_err(failed)?;
    if spent.saturating_add(price) > cap {
        return Err(ApiError::new(
            ErrorCode::DailyCapReached,
            format!(
                "{provider}'s daily spend cap (${:.2}) is used up; it resets at 00:00 UTC",
                cap as f64 / 1e6
            ),
        )
        .retry_after(DAY - now % DAY));
    }
    store
        .put(
            &store_key(provider, now),
            (spent + price).to_string().as_bytes(),
        )
        .await
        .map_err(failed)
}
