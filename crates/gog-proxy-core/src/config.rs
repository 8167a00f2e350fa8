//! Proxy configuration, read from wrangler `[vars]` and secrets. Everything is checked when it
//! is read, so a deployment with an unusable setting answers `misconfigured` naming the variable
//! instead of failing later inside a search.

use std::fmt;

use crate::cors::{AllowedOrigins, OriginError};
use gog_types::wire::SearchMode;

/// A value that must never be shown: an API key or the token secret. `Debug` prints
/// `[redacted]`, so a key cannot reach a log through a struct dump.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for the one place that sends it upstream.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A configuration value chosen from a fixed set of names.
trait Named: Copy + 'static {
    const ALL: &'static [Self];
    fn name(self) -> &'static str;
}

/// Reverse image search providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageProvider {
    /// SerpApi `google_lens`: takes a public image URL, so the crop is served by this proxy.
    SerpapiLens,
    /// Google Cloud Vision `WEB_DETECTION`: takes the bytes.
    GoogleVision,
}

impl Named for ImageProvider {
    const ALL: &'static [Self] = &[ImageProvider::SerpapiLens, ImageProvider::GoogleVision];
    fn name(self) -> &'static str {
        match self {
            ImageProvider::SerpapiLens => "serpapi_lens",
            ImageProvider::GoogleVision => "google_vision",
        }
    }
}

impl ImageProvider {
    pub fn name(self) -> &'static str {
        Named::name(self)
    }
}

/// Web search providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProvider {
    Serpapi,
    Serper,
    Brave,
}

impl Named for TextProvider {
    const ALL: &'static [Self] = &[
        TextProvider::Serpapi,
        TextProvider::Serper,
        TextProvider::Brave,
    ];
    fn name(self) -> &'static str {
        match self {
            TextProvider::Serpapi => "serpapi",
            TextProvider::Serper => "serper",
            TextProvider::Brave => "brave",
        }
    }
}

impl TextProvider {
    pub fn name(self) -> &'static str {
        Named::name(self)
    }
}

impl Named for SearchMode {
    const ALL: &'static [Self] = &[
        SearchMode::Offline,
        SearchMode::Live,
        SearchMode::Record,
        SearchMode::Replay,
    ];
    fn name(self) -> &'static str {
        self.name()
    }
}

/// A configuration variable that is present but cannot be used, or one that is missing.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{var} is {value:?}, which is none of: {known}")]
    UnknownValue {
        var: &'static str,
        value: String,
        known: String,
    },
    #[error("{var} is invalid: {source}")]
    Origin {
        var: &'static str,
        #[source]
        source: OriginError,
    },
    #[error("{var} must be {what}, not {value:?}")]
    Invalid {
        var: &'static str,
        what: &'static str,
        value: String,
    },
    #[error("{name} is not set; {why} (set it with `wrangler secret put {name}` or in .dev.vars)")]
    MissingSecret {
        name: &'static str,
        why: &'static str,
    },
    #[error("{var} is not set; {why}")]
    MissingVar {
        var: &'static str,
        why: &'static str,
    },
}

/// The provider keys, each read only when its provider is configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderKeys {
    pub serpapi: Option<Secret>,
    pub serper: Option<Secret>,
    pub brave: Option<Secret>,
    pub google_vision: Option<Secret>,
    /// Optional: Jina Reader serves 20 requests a minute without a key, 200 with one.
    pub jina: Option<Secret>,
}

/// Everything the proxy reads from its environment.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyConfig {
    pub mode: SearchMode,
    pub image_provider: ImageProvider,
    pub text_provider: TextProvider,
    /// Browser origins allowed to call the proxy.
    pub allowed_origins: AllowedOrigins,
    /// This proxy's public origin, for the signed image URLs handed to `serpapi_lens`.
    pub public_url: Option<String>,
    /// Each provider's spend per UTC day, in millionths of a US dollar.
    pub daily_cap_micro_usd: u64,
    /// The rate limiter's period in seconds (`Retry-After` of a 429); matches `[[ratelimits]]`.
    pub rate_limit_period: u64,
    /// Test-only: send every provider request to this loopback origin instead.
    pub test_upstream: Option<String>,
    /// Signs read tokens and image URLs.
    pub token_secret: Secret,
    pub keys: ProviderKeys,
}

impl ProxyConfig {
    pub const MODE_VAR: &'static str = "SEARCH_MODE";
    pub const IMAGE_PROVIDER_VAR: &'static str = "IMAGE_PROVIDER";
    pub const TEXT_PROVIDER_VAR: &'static str = "TEXT_PROVIDER";
    pub const ORIGINS_VAR: &'static str = "ALLOWED_ORIGINS";
    pub const PUBLIC_URL_VAR: &'static str = "PUBLIC_URL";
    pub const DAILY_CAP_VAR: &'static str = "DAILY_SPEND_CAP_USD";
    pub const RATE_LIMIT_PERIOD_VAR: &'static str = "RATE_LIMIT_PERIOD";
    pub const TEST_UPSTREAM_VAR: &'static str = "TEST_UPSTREAM";
    pub const TOKEN_SECRET: &'static str = "TOKEN_SECRET";

    /// Reads the configuration through `var` and `secret`, which return a variable's or a
    /// secret's value if it is set. Offline, a missing `TOKEN_SECRET` is replaced by
    /// `ephemeral_secret` (random per worker instance): tokens then last as long as the instance,
    /// which is all a local demo needs. Without one (the platform gave no randomness) the
    /// configuration is refused: a guessable secret would make tokens forgeable.
    pub fn from_env(
        var: impl Fn(&str) -> Option<String>,
        secret: impl Fn(&str) -> Option<String>,
        ephemeral_secret: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let mode = choice(&var, Self::MODE_VAR, SearchMode::Offline)?;
        let image_provider = choice(&var, Self::IMAGE_PROVIDER_VAR, ImageProvider::GoogleVision)?;
        let text_provider = choice(&var, Self::TEXT_PROVIDER_VAR, TextProvider::Brave)?;
        let allowed_origins = match var(Self::ORIGINS_VAR) {
            None => AllowedOrigins::default(),
            Some(list) => {
                AllowedOrigins::parse_list(&list).map_err(|source| ConfigError::Origin {
                    var: Self::ORIGINS_VAR,
                    source,
                })?
            }
        };
        let daily_cap_micro_usd = match var(Self::DAILY_CAP_VAR) {
            None => 5_000_000,
            Some(value) => parse_dollars(&value).ok_or(ConfigError::Invalid {
                var: Self::DAILY_CAP_VAR,
                what: "a non-negative number of US dollars",
                value,
            })?,
        };
        let rate_limit_period = match var(Self::RATE_LIMIT_PERIOD_VAR).as_deref() {
            None | Some("60") => 60,
            Some("10") => 10,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    var: Self::RATE_LIMIT_PERIOD_VAR,
                    what: "10 or 60 (the periods the rate-limit binding supports)",
                    value: other.to_owned(),
                });
            }
        };
        let test_upstream = var(Self::TEST_UPSTREAM_VAR)
            .map(|value| loopback_origin(&value))
            .transpose()?;
        let public_url = var(Self::PUBLIC_URL_VAR).map(|url| url.trim_end_matches('/').to_owned());

        let needs_providers = matches!(mode, SearchMode::Live | SearchMode::Record);
        let token_secret = match secret(Self::TOKEN_SECRET) {
            Some(value) if value.len() >= 32 => Secret(value),
            Some(_) => {
                return Err(ConfigError::Invalid {
                    var: Self::TOKEN_SECRET,
                    what: "at least 32 characters",
                    value: "[redacted]".into(),
                });
            }
            None if mode == SearchMode::Offline => match ephemeral_secret {
                Some(random) => Secret(random.to_owned()),
                None => {
                    return Err(ConfigError::MissingSecret {
                        name: Self::TOKEN_SECRET,
                        why: "the platform gave no randomness for a secret of this instance's own",
                    });
                }
            },
            None => {
                return Err(ConfigError::MissingSecret {
                    name: Self::TOKEN_SECRET,
                    why: "outside offline mode read tokens must survive across worker instances",
                });
            }
        };
        let required = |name: &'static str, used: bool| -> Result<Option<Secret>, ConfigError> {
            match secret(name) {
                Some(value) if !value.is_empty() => Ok(Some(Secret(value))),
                _ if used && needs_providers => Err(ConfigError::MissingSecret {
                    name,
                    why: "the configured provider needs it",
                }),
                _ => Ok(None),
            }
        };
        let keys = ProviderKeys {
            serpapi: required(
                "SERPAPI_KEY",
                image_provider == ImageProvider::SerpapiLens
                    || text_provider == TextProvider::Serpapi,
            )?,
            serper: required("SERPER_KEY", text_provider == TextProvider::Serper)?,
            brave: required("BRAVE_KEY", text_provider == TextProvider::Brave)?,
            google_vision: required(
                "GOOGLE_VISION_KEY",
                image_provider == ImageProvider::GoogleVision,
            )?,
            jina: required("JINA_KEY", false)?,
        };
        if needs_providers && image_provider == ImageProvider::SerpapiLens && public_url.is_none() {
            return Err(ConfigError::MissingVar {
                var: Self::PUBLIC_URL_VAR,
                why: "serpapi_lens fetches the image from this proxy's public URL",
            });
        }
        Ok(ProxyConfig {
            mode,
            image_provider,
            text_provider,
            allowed_origins,
            public_url,
            daily_cap_micro_usd,
            rate_limit_period,
            test_upstream,
            token_secret,
            keys,
        })
    }

    /// The backends this configuration searches with, as `/v1/health` lists them.
    pub fn backends(&self) -> Vec<&'static str> {
        match self.mode {
            SearchMode::Offline => vec!["offline"],
            _ => vec![
                self.image_provider.name(),
                self.text_provider.name(),
                crate::providers::jina::NAME,
            ],
        }
    }
}

fn choice<T: Named>(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    let Some(value) = var(name) else {
        return Ok(default);
    };
    let wanted = value.trim();
    T::ALL
        .iter()
        .copied()
        .find(|item| item.name() == wanted)
        .ok_or_else(|| ConfigError::UnknownValue {
            var: name,
            value,
            known: T::ALL
                .iter()
                .map(|item| item.name())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// `"5"` or `"2.50"` dollars as micro-dollars.
fn parse_dollars(value: &str) -> Option<u64> {
    let dollars: f64 = value.trim().parse().ok()?;
    (dollars.is_finite() && (0.0..=1e9).contains(&dollars)).then(|| (dollars * 1e6).round() as u64)
}

/// `TEST_UPSTREAM` may only point at this machine: a test override must never become a way to
/// send keys elsewhere.
fn loopback_origin(value: &str) -> Result<String, ConfigError> {
    let invalid = || ConfigError::Invalid {
        var: ProxyConfig::TEST_UPSTREAM_VAR,
        what: "an http://127.0.0.1:PORT origin",
        value: value.to_owned(),
    };
    let url = url::Url::parse(value).map_err(|_| invalid())?;
    let loopback = url.scheme() == "http"
        && url.host_str() == Some("127.0.0.1")
        && url.path() == "/"
        && url.query().is_none();
    loopback
        .then(|| url.origin().ascii_serialization())
        .ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const EPHEMERAL: &str = "ephemeral secret for this instance only";
    const SECRET: &str = "a token secret that is long enough to use";

    fn config(vars: &[(&str, &str)], secrets: &[(&str, &str)]) -> Result<ProxyConfig, ConfigError> {
        let map = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let (vars, secrets) = (map(vars), map(secrets));
        ProxyConfig::from_env(
            |name| vars.get(name).cloned(),
            |name| secrets.get(name).cloned(),
            Some(EPHEMERAL),
        )
    }

    #[test]
    fn defaults_to_offline_with_an_ephemeral_secret_and_no_origins() {
        let config = config(&[], &[]).expect("empty environment is valid");
        assert_eq!(config.mode, SearchMode::Offline);
        assert_eq!(config.backends(), vec!["offline"]);
        assert_eq!(config.token_secret.expose(), EPHEMERAL);
        assert!(!config.allowed_origins.allows("http://127.0.0.1:8080"));
        assert_eq!(config.daily_cap_micro_usd, 5_000_000);
    }

    #[test]
    fn live_mode_reads_providers_keys_and_caps() {
        let config = config(
            &[
                ("SEARCH_MODE", "live"),
                ("IMAGE_PROVIDER", "serpapi_lens"),
                ("TEXT_PROVIDER", "serper"),
                ("PUBLIC_URL", "https://proxy.example/"),
                ("DAILY_SPEND_CAP_USD", "2.5"),
            ],
            &[
                ("TOKEN_SECRET", SECRET),
                ("SERPAPI_KEY", "serpapi-key"),
                ("SERPER_KEY", "serper-key"),
            ],
        )
        .expect("valid");
        assert_eq!(config.backends(), vec!["serpapi_lens", "serper", "jina"]);
        assert_eq!(config.public_url.as_deref(), Some("https://proxy.example"));
        assert_eq!(config.daily_cap_micro_usd, 2_500_000);
        assert_eq!(
            config.keys.serpapi.as_ref().map(Secret::expose),
            Some("serpapi-key")
        );
    }

    #[test]
    fn keys_never_show_in_debug_output() {
        let config = config(
            &[("SEARCH_MODE", "live")],
            &[
                ("TOKEN_SECRET", SECRET),
                ("BRAVE_KEY", "brave-key-123"),
                ("GOOGLE_VISION_KEY", "vision-key-456"),
            ],
        )
        .expect("valid");
        let dump = format!("{config:?}");
        for secret in [SECRET, "brave-key-123", "vision-key-456"] {
            assert!(!dump.contains(secret), "{dump}");
        }
        assert!(dump.contains("[redacted]"));
    }

    #[test]
    fn a_live_provider_without_its_key_is_named() {
        let err = config(
            &[("SEARCH_MODE", "record"), ("TEXT_PROVIDER", "serpapi")],
            &[("TOKEN_SECRET", SECRET), ("GOOGLE_VISION_KEY", "k")],
        )
        .unwrap_err();
        assert_eq!(
            err,
            ConfigError::MissingSecret {
                name: "SERPAPI_KEY",
                why: "the configured provider needs it"
            }
        );
    }

    #[test]
    fn offline_without_randomness_or_a_token_secret_fails_closed() {
        let refused = ProxyConfig::from_env(|_| None, |_| None, None).unwrap_err();
        assert!(matches!(
            refused,
            ConfigError::MissingSecret {
                name: "TOKEN_SECRET",
                ..
            }
        ));
        let set = ProxyConfig::from_env(
            |_| None,
            |name| (name == "TOKEN_SECRET").then(|| SECRET.to_owned()),
            None,
        )
        .expect("a set secret needs no randomness");
        assert_eq!(set.token_secret.expose(), SECRET);
    }

    #[test]
    fn outside_offline_mode_the_token_secret_is_required_and_long() {
        let missing = config(&[("SEARCH_MODE", "replay")], &[]).unwrap_err();
        assert!(matches!(
            missing,
            ConfigError::MissingSecret {
                name: "TOKEN_SECRET",
                ..
            }
        ));
        let short = config(&[("SEARCH_MODE", "replay")], &[("TOKEN_SECRET", "short")]);
        assert!(!short.unwrap_err().to_string().contains("short"));
        // Replay needs no provider keys: it never calls a provider.
        assert!(config(&[("SEARCH_MODE", "replay")], &[("TOKEN_SECRET", SECRET)]).is_ok());
    }

    #[test]
    fn serpapi_lens_needs_a_public_url() {
        let err = config(
            &[("SEARCH_MODE", "live"), ("IMAGE_PROVIDER", "serpapi_lens")],
            &[
                ("TOKEN_SECRET", SECRET),
                ("SERPAPI_KEY", "k"),
                ("BRAVE_KEY", "k"),
            ],
        )
        .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::MissingVar {
                var: "PUBLIC_URL",
                ..
            }
        ));
    }

    #[test]
    fn unknown_values_are_named_with_the_choices() {
        let err = config(&[("SEARCH_MODE", "carrier-pigeon")], &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "SEARCH_MODE is \"carrier-pigeon\", which is none of: offline, live, record, replay"
        );
        let err = config(&[("RATE_LIMIT_PERIOD", "30")], &[]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("RATE_LIMIT_PERIOD must be 10 or 60")
        );
        let err = config(&[("DAILY_SPEND_CAP_USD", "-1")], &[]).unwrap_err();
        assert!(err.to_string().starts_with("DAILY_SPEND_CAP_USD must be"));
    }

    #[test]
    fn the_test_upstream_must_be_loopback() {
        let ok = config(&[("TEST_UPSTREAM", "http://127.0.0.1:9911")], &[]).expect("loopback");
        assert_eq!(ok.test_upstream.as_deref(), Some("http://127.0.0.1:9911"));
        for bad in [
            "https://evil.example",
            "http://127.0.0.1:9911/path",
            "http://localhost:9911",
            "http://10.0.0.1",
        ] {
            assert!(config(&[("TEST_UPSTREAM", bad)], &[]).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_bad_origin_is_rejected_with_the_variable_name() {
        let err = config(&[("ALLOWED_ORIGINS", "http://ok.example,not a url")], &[]).unwrap_err();
        assert!(
            err.to_string().starts_with("ALLOWED_ORIGINS is invalid:"),
            "{err}"
        );
    }
}
