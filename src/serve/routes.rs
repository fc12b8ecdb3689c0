//! The HTTP endpoints: `POST /v1/verify`, `GET /v1/check`, `GET /healthz`, `GET /metrics`.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use keyward_verify::Request;
use keyward_verify::limits::RateLimitHeaders;

use crate::vault::{Outcome, Verification, now};

use super::access_log::Check;
use super::app::App;
use super::connections::Peer;
use super::metrics::{CheckResult, Served};

/// Request bodies larger than this are answered 413.
pub const MAX_BODY: usize = 16 * 1024;

pub const RESULT_HEADER: &str = "x-keyward-result";
pub const KEY_ID_HEADER: &str = "x-keyward-key-id";
pub const SCOPES_HEADER: &str = "x-keyward-scopes";

// Header names made once, at compile time (`from_static` at run time checks the name on every
// answer).
const RESULT_NAME: HeaderName = HeaderName::from_static(RESULT_HEADER);
const KEY_ID_NAME: HeaderName = HeaderName::from_static(KEY_ID_HEADER);
const SCOPES_NAME: HeaderName = HeaderName::from_static(SCOPES_HEADER);
const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
/// Room for a refusal's JSON with a rate limit or two, so that it is written without growing.
const REFUSAL_CAPACITY: usize = 384;

pub fn router(app: Arc<App>) -> Router {
    let mut router = Router::new()
        .route("/v1/verify", post(verify))
        .route("/v1/check", get(check))
        .route("/healthz", get(healthz));
    if !app.metrics_elsewhere {
        router = router.route("/metrics", get(metrics));
    }
    router
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(app)
}

/// `--metrics-listen`: `/metrics` (and `/healthz`) alone, away from the clients.
pub fn metrics_router(app: Arc<App>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(app)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "error": message.into() }))).into_response()
}

async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "no such endpoint (POST /v1/verify, GET /v1/check, /healthz, /metrics)",
    )
}

/// The most one check may cost (`?cost=N`, `"cost": N`): a key's limit is at most a million.
const MAX_COST: u64 = 1_000_000;

#[derive(Deserialize)]
struct VerifyRequest {
    key: String,
    #[serde(default)]
    scopes: Vec<String>,
    /// What the call costs against the key's rate limits and credits.
    #[serde(default = "one")]
    cost: u64,
}

fn one() -> u64 {
    1
}

/// `{"key": "...", "scopes": [...], "cost": 1}` → the same JSON as `keyward --json verify`,
/// with what is left of the key's limits.
async fn verify(
    State(app): State<Arc<App>>,
    peer: Option<axum::Extension<Peer>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    const ROUTE: &str = "/v1/verify";
    let client = app.client(peer.map(|p| p.0.0), &headers);
    let body = match body {
        Ok(b) => b,
        Err(rejection) => {
            app.metrics.bad_request();
            let status = rejection.status();
            logged(&app, client, ROUTE, status, None, None);
            let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!("the request body is over {MAX_BODY} bytes")
            } else {
                rejection.body_text()
            };
            return error(status, message);
        }
    };
    let request: VerifyRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            app.metrics.bad_request();
            logged(&app, client, ROUTE, StatusCode::BAD_REQUEST, None, None);
            return error(
                StatusCode::BAD_REQUEST,
                format!(
                    "expected a JSON body like {{\"key\": \"kw_…\", \"scopes\": [\"write\"]}}: {e}"
                ),
            );
        }
    };
    if request.cost > MAX_COST {
        app.metrics.bad_request();
        logged(&app, client, ROUTE, StatusCode::BAD_REQUEST, None, None);
        return error(StatusCode::BAD_REQUEST, format!("cost is 0 to {MAX_COST}"));
    }
    let required: Vec<&str> = request.scopes.iter().map(String::as_str).collect();
    let verification = app
        .check_shared(
            &request.key,
            &Request {
                scopes: &required,
                client,
                cost: request.cost,
            },
        )
        .await;
    app.metrics.checked(verification.result.into());
    logged(
        &app,
        client,
        ROUTE,
        StatusCode::OK,
        Some(verification.result.into()),
        verification.key_id.as_deref(),
    );
    let mut response = (StatusCode::OK, axum::Json(&verification)).into_response();
    limit_headers(response.headers_mut(), &verification);
    response
}

/// For nginx `auth_request`, Traefik `forwardAuth`, Envoy `ext_authz`: 204 valid, 401 not
/// valid or no key, 403 insufficient scope; the answer also in `X-Keyward-*` headers.
async fn check(State(app): State<Arc<App>>, request: axum::extract::Request) -> Response {
    let peer = request.extensions().get::<Peer>().map(|p| p.0);
    if app.fleet.is_none() {
        return check_answer(&app, &request, peer);
    }
    let asked = match Asked::of(&app, &request, peer) {
        Ok(asked) => asked,
        Err(refused) => return refused,
    };
    let scopes = asked.scope_names();
    let verification = match &asked.presented {
        Presented::Key(text) => Some(app.check_shared(text, &asked.request(&scopes)).await),
        _ => None,
    };
    respond(&app, &asked, verification)
}

/// `GET /v1/check` answered straight from the connection, before routing (see
/// `connections::FastPath`); every other request goes to the router.
pub fn fast_path<B>(app: &App, request: &axum::http::Request<B>, peer: Peer) -> Option<Response> {
    // With a fleet's Redis a check waits for it: the router's async handler answers.
    (request.method() == axum::http::Method::GET
        && request.uri().path() == "/v1/check"
        && app.fleet.is_none())
    .then(|| check_answer(app, request, Some(peer.0)))
}

const CHECK_ROUTE: &str = "/v1/check";

/// What a `/v1/check` request asks: the key as presented, the scopes, the cost and the client.
struct Asked<'r> {
    presented: Presented<'r>,
    scopes: Vec<String>,
    cost: u64,
    client: Option<std::net::IpAddr>,
}

enum Presented<'r> {
    Missing,
    /// A header value that is not text.
    Unreadable,
    Key(&'r str),
}

impl<'r> Asked<'r> {
    /// Reads the request; a cost that is not a number in range is answered 400 here.
    // The refusal is the response itself, handed straight back to the client.
    #[allow(clippy::result_large_err)]
    fn of<B>(
        app: &App,
        request: &'r axum::http::Request<B>,
        peer: Option<std::net::IpAddr>,
    ) -> Result<Asked<'r>, Response> {
        let headers = request.headers();
        let client = app.client(peer, headers);
        let mut scopes: Vec<String> = Vec::new();
        let mut cost = 1;
        if let Some(q) = request.uri().query() {
            for (name, value) in form_urlencoded::parse(q.as_bytes()) {
                if name == "cost" {
                    match value.parse::<u64>() {
                        Ok(n) if n <= MAX_COST => cost = n,
                        _ => {
                            app.metrics.bad_request();
                            let status = StatusCode::BAD_REQUEST;
                            logged(app, client, CHECK_ROUTE, status, None, None);
                            return Err(error(
                                StatusCode::BAD_REQUEST,
                                format!("cost is a whole number, 0 to {MAX_COST}"),
                            ));
                        }
                    }
                } else if name == "scope" {
                    scopes.extend(
                        value
                            .split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned),
                    );
                }
            }
        }
        let presented = match headers
            .get(header::AUTHORIZATION)
            .or_else(|| headers.get("x-api-key"))
            .map(|v| v.to_str().map(str::trim))
        {
            None | Some(Ok("")) => Presented::Missing,
            Some(Err(_)) => Presented::Unreadable,
            Some(Ok(text)) => Presented::Key(text),
        };
        Ok(Asked {
            presented,
            scopes,
            cost,
            client,
        })
    }

    /// The check asked, needing `scopes` (this request's, as `&str`).
    fn request<'a>(&self, scopes: &'a [&'a str]) -> Request<'a> {
        Request {
            scopes,
            client: self.client,
            cost: self.cost,
        }
    }

    fn scope_names(&self) -> Vec<&str> {
        self.scopes.iter().map(String::as_str).collect()
    }
}

/// For a valid key 204; 401 not valid or no key; 403 insufficient scope or an address the key
/// may not be used from; 429 over a rate limit or out of credits (`Retry-After`).
fn check_answer<B>(
    app: &App,
    request: &axum::http::Request<B>,
    peer: Option<std::net::IpAddr>,
) -> Response {
    let asked = match Asked::of(app, request, peer) {
        Ok(asked) => asked,
        Err(refused) => return refused,
    };
    let scopes = asked.scope_names();
    let verification = match &asked.presented {
        Presented::Key(text) => Some(app.check(text, &asked.request(&scopes))),
        _ => None,
    };
    respond(app, &asked, verification)
}

/// The answer to `/v1/check`: its status, the JSON of a refusal, and the headers.
fn respond(app: &App, asked: &Asked, verification: Option<Verification>) -> Response {
    let (status, result) = match (&asked.presented, &verification) {
        (_, Some(v)) => (
            match v.result {
                Outcome::Valid => StatusCode::NO_CONTENT,
                Outcome::InsufficientScope | Outcome::Forbidden => StatusCode::FORBIDDEN,
                Outcome::RateLimited | Outcome::UsageExceeded => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNAUTHORIZED,
            },
            v.result.into(),
        ),
        (Presented::Unreadable, None) => (StatusCode::UNAUTHORIZED, Outcome::Malformed.into()),
        _ => (StatusCode::UNAUTHORIZED, CheckResult::Missing),
    };
    app.metrics.checked(result);
    logged(
        app,
        asked.client,
        CHECK_ROUTE,
        status,
        Some(result),
        verification.as_ref().and_then(|v| v.key_id.as_deref()),
    );
    let mut response = match &verification {
        _ if status == StatusCode::NO_CONTENT => status.into_response(),
        // Written straight from the verification into a buffer large enough, with no JSON
        // tree in between: a flood of 429s is what a rate-limited key's client sends.
        Some(v) => {
            let mut body = Vec::with_capacity(REFUSAL_CAPACITY);
            match serde_json::to_writer(&mut body, v) {
                Ok(()) => (
                    status,
                    [(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    )],
                    body,
                )
                    .into_response(),
                Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            }
        }
        None => (
            status,
            axum::Json(json!({ "result": result.as_str(), "key_id": null, "scopes": [] })),
        )
            .into_response(),
    };
    let out = response.headers_mut();
    out.insert(RESULT_NAME, HeaderValue::from_static(result.as_str()));
    if let Some(v) = &verification {
        answer_headers(out, v);
        limit_headers(out, v);
    }
    if status == StatusCode::UNAUTHORIZED {
        out.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Api-Key"),
        );
    }
    response
}

/// Queues the access log's line for a check (with `--access-log`): `client` is the peer, or
/// what a trusted proxy says. The key id only of a key the files know: none for a key not
/// found, malformed or missing, or a request that is no check (`result` `None`).
fn logged(
    app: &App,
    client: Option<IpAddr>,
    route: &'static str,
    status: StatusCode,
    result: Option<CheckResult>,
    key_id: Option<&str>,
) {
    let Some(access_log) = &app.access_log else {
        return;
    };
    let known = matches!(
        result,
        Some(CheckResult::Answered(outcome))
            if !matches!(outcome, Outcome::NotFound | Outcome::Malformed)
    );
    access_log.record(Check {
        at: now(),
        route,
        status: status.as_u16(),
        result,
        key_id: key_id.filter(|_| known).map(str::to_owned),
        client,
    });
}

fn answer_headers(out: &mut HeaderMap, v: &Verification) {
    if let Some(id) = v
        .key_id
        .as_deref()
        .and_then(|id| HeaderValue::from_str(id).ok())
    {
        out.insert(KEY_ID_NAME, id);
    }
    // A String becomes the header's bytes without a copy.
    if v.key_id.is_some()
        && let Ok(scopes) = HeaderValue::try_from(v.scopes.join(","))
    {
        out.insert(SCOPES_NAME, scopes);
    }
}

/// The IETF `RateLimit-Policy` / `RateLimit` headers for a key with rate limits, and
/// `Retry-After` when refused for a limit or for credits.
fn limit_headers(out: &mut HeaderMap, v: &Verification) {
    let Some(report) = &v.limits else {
        return;
    };
    let headers = RateLimitHeaders::of_report(report);
    let mut retry_after = None;
    if let Some(h) = headers {
        retry_after = h.retry_after;
        for (name, value) in [(RATELIMIT_POLICY, h.policy), (RATELIMIT, h.limit)] {
            if let Ok(value) = HeaderValue::try_from(value) {
                out.insert(name, value);
            }
        }
    }
    let retry = match v.result {
        Outcome::RateLimited => retry_after,
        Outcome::UsageExceeded => report.retry_after(now()),
        _ => None,
    };
    if let Some(secs) = retry {
        out.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    let wall = SystemTime::now();
    let age = |t: Option<SystemTime>| {
        t.and_then(|t| wall.duration_since(t).ok())
            .map(|d| d.as_secs())
    };
    let files: Vec<serde_json::Value> = app
        .sources
        .iter()
        .map(|s| {
            let snap = s.snapshot();
            json!({
                "file": s.path,
                "serial": snap.serial,
                "keys": snap.keys,
                "file_age_seconds": age(snap.modified),
                "loaded_seconds_ago": age(Some(snap.loaded_at)),
                "last_error": s.last_error(),
                "last_refusal": s.last_refusal().map(|r| json!({
                    "reason": r.reason.as_str(),
                    "message": r.message,
                    "at": crate::vault::format_time(r.at),
                })),
            })
        })
        .collect();
    let serial = app
        .sources
        .iter()
        .map(|s| s.snapshot().serial)
        .max()
        .unwrap_or(0);
    let keys: usize = app.sources.iter().map(|s| s.snapshot().keys).sum();
    let connections = &app.metrics.connections;
    axum::Json(json!({
        "status": "ok",
        "connections": connections.open.load(std::sync::atomic::Ordering::Relaxed),
        "serial": serial,
        "keys": keys,
        "time": crate::vault::format_time(now()),
        "files": files,
    }))
    .into_response()
}

async fn metrics(State(app): State<Arc<App>>) -> Response {
    let files: Vec<Served> = app
        .sources
        .iter()
        .map(|s| {
            let snap = s.snapshot();
            Served {
                path: &s.path,
                serial: snap.serial,
                keys: snap.keys,
            }
        })
        .collect();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.metrics.render(&files),
    )
        .into_response()
}
