//! The search routes' work and shared traces over the real offline backend (a made-up corpus),
//! with an in-memory store and a failing backend as test doubles at the storage and provider
//! boundaries.

mod common;

use common::{DownBackend, MemoryStore, trace_json};
use gog_proxy_core::ErrorCode;
use gog_proxy_core::search_api::{SearchApi, TOKEN_LIFETIME};
use gog_proxy_core::shared_traces;
use gog_proxy_core::store::Store as _;
use gog_search::OfflineBackend;
use gog_search::corpus::EntityKind;
use gog_types::ImageResult;
use gog_types::wire::{SearchMode, Served, Tokened};

const SECRET: &[u8] = b"test secret";
const NOW: u64 = 1_800_000_000;

fn offline() -> OfflineBackend {
    OfflineBackend::new(gog_search::fixture::made_up_bundle(&[
        (EntityKind::Flag, 6),
        (EntityKind::Monument, 4),
    ]))
}

fn api<'a, B, S>(backend: &'a B, store: &'a S, mode: SearchMode) -> SearchApi<'a, B, S> {
    SearchApi {
        backend,
        store,
        mode,
        secret: SECRET,
        now: NOW,
        daily_cap_micro_usd: 0,
    }
}

fn read_body(token: &str) -> Vec<u8> {
    serde_json::json!({ "token": token })
        .to_string()
        .into_bytes()
}

const QUERY: &[u8] = br#"{"query": "Flag of Country 3", "k": 3}"#;

#[test]
fn offline_search_results_carry_tokens_that_read_their_pages_and_nothing_else() {
    pollster::block_on(async {
        let (backend, store) = (offline(), MemoryStore::default());
        let search = api(&backend, &store, SearchMode::Offline);
        let reply = search.text(QUERY).await.expect("results");
        assert_eq!(
            (reply.provider.as_str(), reply.served),
            ("offline", Served::Backend)
        );
        assert_eq!(reply.results.len(), 3);
        assert_eq!(reply.results[0].result.title, "Flag of Country 3");
        assert_eq!(store.writes(), 0, "offline mode stores nothing");

        let page = search
            .read(&read_body(&reply.results[0].token))
            .await
            .expect("the page");
        assert_eq!(page.id, reply.results[0].result.page);

        let forged = search
            .read(&read_body("eyJ1IjoiaHR0cDovLzEwLjAuMC4xIn0.AAAA"))
            .await;
        assert_eq!(forged.unwrap_err().code, ErrorCode::InvalidToken);
        let later = SearchApi {
            now: NOW + TOKEN_LIFETIME,
            ..api(&backend, &store, SearchMode::Offline)
        };
        let expired = later
            .read(&read_body(&reply.results[0].token))
            .await
            .unwrap_err();
        assert_eq!(
            (expired.code, expired.code.status()),
            (ErrorCode::InvalidToken, 403)
        );
        assert!(expired.message.contains("expired"), "{}", expired.message);
        let foreign = SearchApi {
            secret: b"another proxy",
            ..api(&backend, &store, SearchMode::Offline)
        };
        let refused = foreign.read(&read_body(&reply.results[0].token)).await;
        assert_eq!(refused.unwrap_err().code, ErrorCode::InvalidToken);
    });
}

#[test]
fn record_then_replay_answers_exactly_the_recorded_results_without_the_backend() {
    pollster::block_on(async {
        let (backend, store) = (offline(), MemoryStore::default());
        let picture = gog_types::image::encode_png(&gog_search::fixture::picture(2, 96, 80));
        let recorder = api(&backend, &store, SearchMode::Record);
        let images = recorder.image(&picture, 4).await.expect("image results");
        let texts = recorder.text(QUERY).await.expect("text results");
        let page = recorder
            .read(&read_body(&texts.results[1].token))
            .await
            .expect("a page");
        assert_eq!(store.writes(), 3);

        let replayer = api(&DownBackend, &store, SearchMode::Replay);
        let replayed = replayer.image(&picture, 4).await.expect("recorded");
        assert_eq!(replayed.served, Served::Store);
        assert_eq!(replayed.key, images.key);
        let titles =
            |r: &[Tokened<ImageResult>]| r.iter().map(|t| t.result.clone()).collect::<Vec<_>>();
        assert_eq!(titles(&replayed.results), titles(&images.results));
        let reread = replayer
            .read(&read_body(&texts.results[1].token))
            .await
            .expect("recorded page");
        assert_eq!(reread, page);

        let unrecorded = replayer
            .text(br#"{"query": "Capital 4", "k": 3}"#)
            .await
            .unwrap_err();
        assert_eq!(
            (unrecorded.code, unrecorded.code.status()),
            (ErrorCode::NotRecorded, 404)
        );
        // The same query with another k is another search.
        let other_k = replayer.text(br#"{"query": "Country 3", "k": 2}"#).await;
        assert_eq!(other_k.unwrap_err().code, ErrorCode::NotRecorded);
    });
}

#[test]
fn live_mode_reuses_stored_results() {
    pollster::block_on(async {
        let (backend, store) = (offline(), MemoryStore::default());
        let live = api(&backend, &store, SearchMode::Live);
        assert_eq!(
            live.text(QUERY).await.expect("first").served,
            Served::Backend
        );
        let again = live
            .text(br#"{"query": "Flag of  Country   3", "k": 3}"#)
            .await
            .expect("again");
        assert_eq!(
            again.served,
            Served::Store,
            "whitespace does not make a new search"
        );
        assert_eq!(store.writes(), 1);
    });
}

fn code<T>(result: Result<T, gog_proxy_core::ApiError>) -> ErrorCode {
    result.err().expect("the request is refused").code
}

#[test]
fn bad_requests_and_failing_providers_get_the_documented_errors() {
    pollster::block_on(async {
        let (backend, store) = (offline(), MemoryStore::default());
        let search = api(&backend, &store, SearchMode::Offline);
        assert_eq!(code(search.text(b"not json").await), ErrorCode::BadRequest);
        // serde reads a struct from an array of its fields; the API takes objects only.
        assert_eq!(
            code(search.text(br#"["Eiffel Tower", 2]"#).await),
            ErrorCode::BadRequest
        );
        assert_eq!(
            code(search.read(br#"["a token"]"#).await),
            ErrorCode::BadRequest
        );
        assert_eq!(
            code(search.text(br#"{"query": "x", "url": "http://a"}"#).await),
            ErrorCode::BadRequest
        );
        assert_eq!(
            code(search.text(br#"{"query": "  "}"#).await),
            ErrorCode::BadRequest
        );
        assert_eq!(
            code(search.text(br#"{"query": "x", "k": 0}"#).await),
            ErrorCode::BadRequest
        );
        assert_eq!(
            code(search.image(b"GIF89a", 5).await),
            ErrorCode::UnsupportedMediaType
        );
        let tiny = gog_types::image::encode_png(&image::RgbImage::new(2, 2));
        assert_eq!(code(search.image(&tiny, 5).await), ErrorCode::BadRequest);
        assert_eq!(code(search.read(b"{}").await), ErrorCode::BadRequest);

        let down = api(&DownBackend, &store, SearchMode::Live);
        let failed = down.text(QUERY).await.unwrap_err();
        assert_eq!(
            (failed.code, failed.code.status()),
            (ErrorCode::UpstreamFailed, 502)
        );
        assert!(failed.message.contains("timed out"), "{}", failed.message);
    });
}

#[test]
fn shared_traces_are_stored_by_content_id_and_checked() {
    pollster::block_on(async {
        let store = MemoryStore::default();
        let json = trace_json("When was it finished?");
        let id = shared_traces::put(&store, json.as_bytes())
            .await
            .expect("stored");
        assert!(id.starts_with("sha256:") && id.len() == 71, "{id}");
        assert_eq!(
            shared_traces::get(&store, &id).await.expect("found"),
            json.as_bytes()
        );

        let edited = json.replace("When was it finished?", "Who built it?");
        let refused = shared_traces::put(&store, edited.as_bytes())
            .await
            .unwrap_err();
        assert_eq!(
            (refused.code, refused.code.status()),
            (ErrorCode::InvalidTrace, 400)
        );
        assert!(refused.message.contains("edited"), "{}", refused.message);

        // Sent again, or sent as other bytes of the same trace (pretty-printed, keys in
        // another order), it is the same trace: nothing is written and nothing changes.
        let writes = store.writes();
        let trace = gog_agent::Trace::from_json(&json).expect("a trace");
        let pretty = serde_json::to_string_pretty(&trace).expect("JSON");
        for again in [json.as_str(), pretty.as_str()] {
            let again_id = shared_traces::put(&store, again.as_bytes())
                .await
                .expect("the same trace");
            assert_eq!(again_id, id);
        }
        assert_eq!(store.writes(), writes, "sharing again writes nothing");
        // A field the schema lacks is refused, however deep, and changes nothing.
        let mut extra: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        extra["settings"]["note"] = "added".into();
        let refused = shared_traces::put(&store, extra.to_string().as_bytes())
            .await
            .unwrap_err();
        assert_eq!(refused.code, ErrorCode::InvalidTrace);
        assert!(
            refused.message.contains(".settings.note"),
            "{}",
            refused.message
        );
        assert_eq!(
            shared_traces::get(&store, &id).await.expect("found"),
            json.as_bytes()
        );
        // Bytes an older proxy stored as sent stay what is served; a new PUT is refused.
        let older = MemoryStore::default();
        older
            .put(&format!("trace:{id}"), pretty.as_bytes())
            .await
            .expect("stored");
        let conflict = shared_traces::put(&older, json.as_bytes())
            .await
            .unwrap_err();
        assert_eq!(
            (conflict.code, conflict.code.status()),
            (ErrorCode::TraceConflict, 409)
        );
        assert_eq!(
            shared_traces::get(&older, &id).await.expect("found"),
            pretty.as_bytes()
        );

        let missing = format!("sha256:{}", "0".repeat(64));
        assert_eq!(
            shared_traces::get(&store, &missing).await.unwrap_err().code,
            ErrorCode::NotFound
        );
        for bad in [
            "",
            "sha256:",
            "sha256:XYZ",
            "../../etc/passwd",
            &format!("sha256:{}", "A".repeat(64)),
        ] {
            assert_eq!(
                shared_traces::get(&store, bad).await.unwrap_err().code,
                ErrorCode::BadRequest,
                "{bad}"
            );
        }
    });
}

/// `tests/fixtures/trace/answered.json` is the trace the worker tests share; it must stay a
/// trace this build accepts. `GOG_BLESS=1` rewrites it.
#[test]
fn the_shared_trace_fixture_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/trace/answered.json");
    let trace = trace_json("When was the tower on the left finished?");
    if std::env::var_os("GOG_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("the fixture directory");
        std::fs::write(&path, &trace).expect("the fixture is written");
    }
    let stored = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; write it with GOG_BLESS=1", path.display()));
    assert_eq!(stored, trace, "rewrite it with GOG_BLESS=1");
    gog_proxy_core::input::check_trace(stored.as_bytes()).expect("a valid trace");
}
