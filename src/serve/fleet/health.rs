//! What `/healthz` and `/metrics` say about the shared limits.
//!
//! `/healthz` gains `"limits": {"backend": "redis", "reachable": bool, "fail": "open|closed"}`.
//! Unreachable with `--limits-fail closed`, it answers 503 (`"status": "unavailable"`): this
//! instance would refuse every key with a limit or credits, and a load balancer should send
//! the traffic to the instances that can reach Redis (a partition of one instance is the usual
//! case; when none can, load balancers spread over all of them anyway, and the answer is the
//! same refusal). Unreachable with `fail open`, it stays 200 (`"status": "degraded"`): it
//! still answers every check, only without the fleet's shared counts, and taking it out would
//! only lose capacity.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use super::{FailMode, FleetLimits};
use crate::serve::App;

/// The most `/healthz` body read back to add the limits to (it is a few hundred bytes a file).
const MAX_HEALTH_BODY: usize = 1 << 20;

impl FleetLimits {
    /// The `"limits"` object of `/healthz`.
    pub fn health_json(&self) -> serde_json::Value {
        serde_json::json!({
            "backend": "redis",
            "reachable": self.healthy(),
            "fail": self.fail_mode().to_string(),
        })
    }

    /// Whether `/healthz` should take this instance out of a load balancer (see the module).
    pub fn unavailable(&self) -> bool {
        !self.healthy() && self.fail_mode() == FailMode::Closed
    }

    /// The lines `/metrics` gains: whether the backend answers, and failed round trips.
    pub fn render_metrics(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP keyward_limits_backend_up Whether the last round trip to the shared limits (Redis) succeeded.\n# TYPE keyward_limits_backend_up gauge\nkeyward_limits_backend_up {}",
            u8::from(self.healthy())
        );
        let _ = writeln!(
            out,
            "# HELP keyward_limits_backend_errors_total Checks whose round trip to the shared limits failed (answered by --limits-fail).\n# TYPE keyward_limits_backend_errors_total counter\nkeyward_limits_backend_errors_total {}",
            self.errors()
        );
    }
}

/// `router` with `/healthz` reporting the shared limits, when the app has them.
pub fn with_limits_health(router: Router, app: Arc<App>) -> Router {
    if app.fleet.is_none() {
        return router;
    }
    router.layer(middleware::from_fn_with_state(app, add_limits))
}

async fn add_limits(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let health = request.uri().path() == "/healthz";
    let response = next.run(request).await;
    match (&app.fleet, health) {
        (Some(fleet), true) if response.status() == StatusCode::OK => {
            with_limits(response, fleet).await
        }
        _ => response,
    }
}

async fn with_limits(response: Response, fleet: &FleetLimits) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_HEALTH_BODY).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "health report too large").into_response();
    };
    let Ok(serde_json::Value::Object(mut report)) = serde_json::from_slice(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    report.insert("limits".into(), fleet.health_json());
    if !fleet.healthy() {
        let (status, word) = if fleet.unavailable() {
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        } else {
            (StatusCode::OK, "degraded")
        };
        parts.status = status;
        report.insert("status".into(), word.into());
    }
    let body = serde_json::to_vec(&report).unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}
