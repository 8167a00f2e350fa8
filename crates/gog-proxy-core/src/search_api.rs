//! The search routes' work, over any [`SearchBackend`] and a [`Store`]: validate the request,
//! key it by its canonical form, then answer by mode — `offline` and `live` from the backend
//! (`live` reusing stored results), `record` from the backend while storing what it returned,
//! `replay` from the store alone, a miss being an explicit error. Every result carries a read
//! token, so `/v1/read` reads only pages this proxy returned.

use gog_types::wire::{ReadRequest, SearchMode, SearchReply, Served, TextRequest, Tokened};
use gog_types::{ImageResult, Page, Paged, SearchBackend, SearchError, TextResult};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ErrorCode};
use crate::input::{MAX_JSON_BYTES, check_image, check_k, check_query, check_size};
use crate::read_token::{self, ReadGrant, TokenError};
use crate::request_key::{SearchKind, request_key};
use crate::spend::{self, Operation, Priced};
use crate::store::Store;

/// How long a read token stays valid, in seconds: long enough to read every result of a run.
pub const TOKEN_LIFETIME: u64 = 3600;

/// Everything a search request needs besides its body.
#[derive(Debug)]
pub struct SearchApi<'a, B, S> {
    pub backend: &'a B,
    pub store: &'a S,
    pub mode: SearchMode,
    /// Signs and checks read tokens (`TOKEN_SECRET`).
    pub secret: &'a [u8],
    /// Unix seconds now.
    pub now: u64,
    /// Each paid provider's spend per UTC day, in micro-dollars.
    pub daily_cap_micro_usd: u64,
}

/// A search route's request, checked without a backend: whatever can be refused from the
/// request alone (a bad `k`, an image whose header is not a usable image, a body that is not
/// the route's JSON object, a forged or expired read token) is refused before the corpus is
/// loaded or a provider is asked.
#[derive(Debug)]
pub enum Checked<'b> {
    Image(ImageQuery<'b>),
    Text(TextQuery),
    Read(ReadGrant),
}

/// `POST /v1/search/image`: the body is the image's bytes; `k` results.
#[derive(Debug, Clone, Copy)]
pub struct ImageQuery<'b> {
    body: &'b [u8],
    k: usize,
}

impl<'b> ImageQuery<'b> {
    pub fn check(body: &'b [u8], k: usize) -> Result<Self, ApiError> {
        check_k(k)?;
        check_image(body)?;
        Ok(ImageQuery { body, k })
    }
}

/// `POST /v1/search/text`: `{"query": …, "k": …}`.
#[derive(Debug, Clone)]
pub struct TextQuery {
    query: String,
    k: usize,
}

impl TextQuery {
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let request: TextRequest = parse_json(body)?;
        check_query(&request.query)?;
        check_k(request.k)?;
        Ok(TextQuery {
            query: request.query,
            k: request.k,
        })
    }
}

/// `POST /v1/read`: `{"token": …}` from a result of this proxy, signed with `secret` and not
/// expired at `now`.
pub fn check_read(body: &[u8], secret: &[u8], now: u64) -> Result<ReadGrant, ApiError> {
    let request: ReadRequest = parse_json(body)?;
    read_token::verify(secret, &request.token, now).map_err(|err| {
        let message = match err {
            TokenError::Expired => err.to_string(),
            TokenError::Forged | TokenError::Malformed => {
                format!("{err}: read only pages from this proxy's search results")
            }
        };
        ApiError::new(ErrorCode::InvalidToken, message)
    })
}

/// What a search route answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Answer {
    Images(SearchReply<ImageResult>),
    Texts(SearchReply<TextResult>),
    Page(Page),
}

impl<B: SearchBackend + Priced, S: Store> SearchApi<'_, B, S> {
    /// Answers a checked request.
    pub async fn run(&self, request: Checked<'_>) -> Result<Answer, ApiError> {
        Ok(match request {
            Checked::Image(query) => Answer::Images(self.search_image(query).await?),
            Checked::Text(query) => Answer::Texts(self.search_text(&query).await?),
            Checked::Read(grant) => Answer::Page(self.read_page(grant).await?),
        })
    }

    /// `POST /v1/search/image`, checked then answered.
    pub async fn image(&self, body: &[u8], k: usize) -> Result<SearchReply<ImageResult>, ApiError> {
        self.search_image(ImageQuery::check(body, k)?).await
    }

    /// `POST /v1/search/text`, checked then answered.
    pub async fn text(&self, body: &[u8]) -> Result<SearchReply<TextResult>, ApiError> {
        self.search_text(&TextQuery::parse(body)?).await
    }

    /// `POST /v1/read`, checked then answered.
    pub async fn read(&self, body: &[u8]) -> Result<Page, ApiError> {
        self.read_page(check_read(body, self.secret, self.now)?)
            .await
    }

    async fn search_image(
        &self,
        query: ImageQuery<'_>,
    ) -> Result<SearchReply<ImageResult>, ApiError> {
        let sha256 = gog_types::sha256_hex(query.body);
        let kind = SearchKind::Image { sha256: &sha256 };
        self.answer(&kind, Operation::ImageSearch, query.k, || {
            self.backend.search_image(query.body, query.k)
        })
        .await
    }

    async fn search_text(&self, query: &TextQuery) -> Result<SearchReply<TextResult>, ApiError> {
        let kind = SearchKind::Text {
            query: &query.query,
        };
        self.answer(&kind, Operation::TextSearch, query.k, || {
            self.backend.search_text(&query.query, query.k)
        })
        .await
    }

    async fn read_page(&self, grant: ReadGrant) -> Result<Page, ApiError> {
        let provider = self.backend.name();
        if grant.provider != provider {
            return Err(ApiError::new(
                ErrorCode::InvalidToken,
                format!(
                    "the read token is for a {} result; this proxy now searches with {provider}",
                    grant.provider
                ),
            ));
        }
        let kind = SearchKind::Read { page: &grant.page };
        let key = request_key(&kind, &grant.provider, 1);
        let (page, _) = self
            .stored_or(&key, Operation::Read, || self.backend.read(&grant.page))
            .await?;
        Ok(page)
    }

    async fn answer<R, F>(
        &self,
        kind: &SearchKind<'_>,
        operation: Operation,
        k: usize,
        search: impl FnOnce() -> F,
    ) -> Result<SearchReply<R>, ApiError>
    where
        R: Paged + Serialize + DeserializeOwned,
        F: Future<Output = Result<Vec<R>, SearchError>>,
    {
        let provider = self.backend.name().to_string();
        let key = request_key(kind, &provider, k);
        let (results, served) = self.stored_or(&key, operation, search).await?;
        let results = results
            .into_iter()
            .map(|result| {
                let token = read_token::issue(
                    self.secret,
                    &ReadGrant {
                        page: result.page().to_string(),
                        provider: provider.clone(),
                        expires: self.now + TOKEN_LIFETIME,
                    },
                );
                Tokened { result, token }
            })
            .collect();
        Ok(SearchReply {
            provider,
            served,
            key,
            results,
        })
    }

    /// The stored answer under `key` when the mode allows one, else the backend's (stored when
    /// the mode records).
    async fn stored_or<T, F>(
        &self,
        key: &str,
        operation: Operation,
        search: impl FnOnce() -> F,
    ) -> Result<(T, Served), ApiError>
    where
        T: Serialize + DeserializeOwned,
        F: Future<Output = Result<T, SearchError>>,
    {
        let store_key = format!("search:{key}");
        if matches!(self.mode, SearchMode::Live | SearchMode::Replay) {
            let stored = self.store.get(&store_key).await.map_err(store_failed)?;
            match (stored, self.mode) {
                (Some(bytes), _) => {
                    let value = serde_json::from_slice(&bytes).map_err(|err| {
                        ApiError::new(
                            ErrorCode::Misconfigured,
                            format!("stored results under {key} are unreadable: {err}"),
                        )
                    })?;
                    return Ok((value, Served::Store));
                }
                (None, SearchMode::Replay) => {
                    return Err(ApiError::new(
                        ErrorCode::NotRecorded,
                        format!(
                            "the proxy replays recorded searches only, and {key} was never recorded"
                        ),
                    ));
                }
                (None, _) => {}
            }
        }
        if let Some(provider) = self.backend.provider_for(operation) {
            let price = crate::providers::price_micro_usd(provider);
            spend::charge(
                self.store,
                provider,
                price,
                self.daily_cap_micro_usd,
                self.now,
            )
            .await?;
        }
        let value = search().await.map_err(search_failed)?;
        if matches!(self.mode, SearchMode::Live | SearchMode::Record) {
            let bytes = serde_json::to_vec(&value).expect("results are plain data");
            self.store
                .put(&store_key, &bytes)
                .await
                .map_err(store_failed)?;
        }
        Ok((value, Served::Backend))
    }
}

/// A route's JSON body: an object with the route's fields and no others. serde would also read
/// a struct from an array of its fields in order (`["Eiffel Tower", 2]`); the API takes objects
/// only.
fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    check_size(body.len(), MAX_JSON_BYTES)?;
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "the body must be a JSON object; see docs/API.md",
        ));
    }
    serde_json::from_slice(body).map_err(|err| {
        ApiError::new(
            ErrorCode::BadRequest,
            format!("the body is not the JSON this route takes: {err}"),
        )
    })
}

fn store_failed(err: crate::store::StoreError) -> ApiError {
    ApiError::new(ErrorCode::UpstreamFailed, err.to_string())
}

/// A backend's refusal as the API's error.
fn search_failed(err: SearchError) -> ApiError {
    let code = match &err {
        SearchError::EmptyQuery
        | SearchError::QueryTooLong { .. }
        | SearchError::ImageTooSmall { .. } => ErrorCode::BadRequest,
        SearchError::UndecodableImage(_) => ErrorCode::UnsupportedMediaType,
        SearchError::ImageTooLarge { .. } => ErrorCode::ImageTooLarge,
        SearchError::UnknownPage(_) => ErrorCode::NotFound,
        SearchError::Unavailable(_) => ErrorCode::UpstreamFailed,
        SearchError::Bundle(_) => ErrorCode::Misconfigured,
    };
    ApiError::new(code, err.to_string())
}
