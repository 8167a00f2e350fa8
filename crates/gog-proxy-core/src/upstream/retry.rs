//! One retry policy for every provider: retry only what may succeed on a second try (network
//! errors, timeouts, 429, 5xx), back off exponentially with jitter, honour `Retry-After`, and
//! never go past an overall deadline, so a search costs a bounded number of subrequests and a
//! bounded time.

use gog_types::SearchError;

use super::{HttpRequest, HttpResponse, Upstream};

/// How hard to try one provider request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included: the most subrequests one provider call makes.
    pub attempts: u32,
    /// Each try's timeout.
    pub timeout_ms: u64,
    /// The whole call's budget, waits included.
    pub deadline_ms: u64,
    /// The first backoff; each later one doubles, up to `max_delay_ms`.
    pub base_delay_ms: u64,
    pub max_delay_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            timeout_ms: 10_000,
            deadline_ms: 25_000,
            base_delay_ms: 300,
            max_delay_ms: 4_000,
        }
    }
}

impl RetryPolicy {
    /// The wait before try `attempt + 1`: the provider's `Retry-After` when it sent one, else
    /// half the exponential backoff plus a random part of the other half ("equal jitter"), so
    /// that clients that failed together do not retry together.
    pub fn delay_ms(&self, attempt: u32, retry_after_ms: Option<u64>, random: f64) -> u64 {
        if let Some(ms) = retry_after_ms {
            return ms;
        }
        let exponential = self
            .base_delay_ms
            .saturating_mul(1 << attempt.saturating_sub(1).min(16))
            .min(self.max_delay_ms);
        let half = exponential / 2;
        half + (half as f64 * random.clamp(0.0, 1.0)) as u64
    }
}

/// `Retry-After` in milliseconds from `now_ms` (Unix milliseconds): delay-seconds or an
/// HTTP date.
pub fn retry_after_ms(value: &str, now_ms: u64) -> Option<u64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds.saturating_mul(1000));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let at_ms = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis() as u64;
    Some(at_ms.saturating_sub(now_ms))
}

/// Sends `request` to `provider` under `policy`; a 2xx response, or why there is none, in
/// words the agent can pass to the model. Messages name the provider and the status, never the
/// request's URL or headers, which may carry a key.
pub async fn send_with_retries(
    upstream: &impl Upstream,
    policy: &RetryPolicy,
    provider: &str,
    request: &HttpRequest,
) -> Result<HttpResponse, SearchError> {
    let start = upstream.now_ms();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let elapsed = upstream.now_ms().saturating_sub(start);
        let remaining = policy.deadline_ms.saturating_sub(elapsed);
        if remaining == 0 {
            return Err(unavailable(provider, "did not answer in time"));
        }
        let (failure, retry_after) = match upstream
            .send(request, policy.timeout_ms.min(remaining))
            .await
        {
            Ok(response) if (200..300).contains(&response.status) => return Ok(response),
            Ok(response) if response.status == 429 || response.status >= 500 => (
                format!("answered {}", response.status),
                response
                    .retry_after
                    .as_deref()
                    .and_then(|value| retry_after_ms(value, upstream.now_ms())),
            ),
            Ok(response) => {
                return Err(unavailable(
                    provider,
                    &format!("refused the request ({})", response.status),
                ));
            }
            Err(err) => (err.to_string(), None),
        };
        if attempt >= policy.attempts {
            return Err(unavailable(
                provider,
                &format!("failed {attempt} times; last: {failure}"),
            ));
        }
        let delay = policy.delay_ms(attempt, retry_after, upstream.random());
        let elapsed = upstream.now_ms().saturating_sub(start);
        if elapsed.saturating_add(delay) >= policy.deadline_ms {
            return Err(unavailable(
                provider,
                &format!("{failure}, and a retry would end past the deadline"),
            ));
        }
        upstream.sleep(delay).await;
    }
}

fn unavailable(provider: &str, what: &str) -> SearchError {
    SearchError::Unavailable(format!("{provider} {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream::NetworkError;
    use std::cell::{Cell, RefCell};
    use std::collections::VecDeque;

    /// Test double of the network: scripted outcomes and a clock that sleeping advances.
    struct Scripted {
        outcomes: RefCell<VecDeque<Result<HttpResponse, NetworkError>>>,
        clock: Cell<u64>,
        sent: Cell<u32>,
        slept: RefCell<Vec<u64>>,
    }

    impl Scripted {
        fn new(outcomes: Vec<Result<HttpResponse, NetworkError>>) -> Self {
            Scripted {
                outcomes: RefCell::new(outcomes.into()),
                clock: Cell::new(1_000_000),
                sent: Cell::new(0),
                slept: RefCell::new(Vec::new()),
            }
        }
    }

    impl Upstream for Scripted {
        async fn send(
            &self,
            _: &HttpRequest,
            timeout_ms: u64,
        ) -> Result<HttpResponse, NetworkError> {
            self.sent.set(self.sent.get() + 1);
            let outcome = self
                .outcomes
                .borrow_mut()
                .pop_front()
                .expect("a scripted outcome");
            if matches!(outcome, Err(NetworkError::Timeout(_))) {
                self.clock.set(self.clock.get() + timeout_ms);
                return Err(NetworkError::Timeout(timeout_ms));
            }
            outcome
        }
        async fn sleep(&self, ms: u64) {
            self.slept.borrow_mut().push(ms);
            self.clock.set(self.clock.get() + ms);
        }
        fn now_ms(&self) -> u64 {
            self.clock.get()
        }
        fn random(&self) -> f64 {
            0.5
        }
    }

    fn status(status: u16, retry_after: Option<&str>) -> Result<HttpResponse, NetworkError> {
        Ok(HttpResponse {
            status,
            retry_after: retry_after.map(str::to_owned),
            body: b"{}".to_vec(),
        })
    }

    fn run(upstream: &Scripted, policy: &RetryPolicy) -> Result<HttpResponse, SearchError> {
        let request = HttpRequest::get("https://api.example/search?api_key=SECRET".into());
        pollster::block_on(send_with_retries(upstream, policy, "brave", &request))
    }

    #[test]
    fn retries_network_errors_and_5xx_then_succeeds() {
        let upstream = Scripted::new(vec![
            Err(NetworkError::Failed),
            status(503, None),
            status(200, None),
        ]);
        let response = run(&upstream, &RetryPolicy::default()).expect("third try succeeds");
        assert_eq!(response.status, 200);
        assert_eq!(upstream.sent.get(), 3);
        // Equal jitter at random = 0.5: 300 → 150 + 75, then 600 → 300 + 150.
        assert_eq!(*upstream.slept.borrow(), vec![225, 450]);
    }

    #[test]
    fn honours_retry_after_in_seconds_and_as_a_date() {
        let upstream = Scripted::new(vec![status(429, Some("2")), status(200, None)]);
        run(&upstream, &RetryPolicy::default()).expect("succeeds");
        assert_eq!(*upstream.slept.borrow(), vec![2000]);

        // The scripted clock starts 1000 s after the epoch.
        let upstream = Scripted::new(vec![
            status(429, Some("Thu, 01 Jan 1970 00:16:43 GMT")),
            status(200, None),
        ]);
        run(&upstream, &RetryPolicy::default()).expect("succeeds");
        assert_eq!(*upstream.slept.borrow(), vec![3000]);
    }

    #[test]
    fn a_retry_after_past_the_deadline_is_not_waited_for() {
        let upstream = Scripted::new(vec![status(429, Some("3600"))]);
        let err = run(&upstream, &RetryPolicy::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the search could not be answered: brave answered 429, and a retry would end past the deadline"
        );
        assert!(upstream.slept.borrow().is_empty());
    }

    #[test]
    fn other_4xx_are_not_retried_and_never_show_the_url() {
        let upstream = Scripted::new(vec![status(401, None)]);
        let err = run(&upstream, &RetryPolicy::default())
            .unwrap_err()
            .to_string();
        assert_eq!(upstream.sent.get(), 1);
        assert!(err.contains("brave refused the request (401)"), "{err}");
        assert!(
            !err.contains("SECRET") && !err.contains("api.example"),
            "{err}"
        );
    }

    #[test]
    fn gives_up_after_the_attempts_or_the_deadline() {
        let upstream = Scripted::new(vec![
            status(500, None),
            status(502, None),
            status(500, None),
        ]);
        let err = run(&upstream, &RetryPolicy::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("failed 3 times; last: answered 500"), "{err}");

        // Two 10 s timeouts and a backoff exhaust a 25 s deadline before the third try.
        let upstream = Scripted::new(vec![
            Err(NetworkError::Timeout(0)),
            Err(NetworkError::Timeout(0)),
            Err(NetworkError::Timeout(0)),
        ]);
        let policy = RetryPolicy::default();
        let err = run(&upstream, &policy).unwrap_err().to_string();
        let spent = upstream.clock.get() - 1_000_000;
        assert!(spent <= policy.deadline_ms, "spent {spent} ms");
        assert!(err.contains("no answer within"), "{err}");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy::default();
        let delays: Vec<u64> = (1..=6).map(|a| policy.delay_ms(a, None, 1.0)).collect();
        assert_eq!(delays, vec![300, 600, 1200, 2400, 4000, 4000]);
        assert_eq!(policy.delay_ms(1, None, 0.0), 150);
    }
}
