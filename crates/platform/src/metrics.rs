//! Prometheus metrics: request count and latency by method, route and status, written in the
//! text exposition format. Routes are the matched templates (`/v1/orders/{id}`), never raw
//! paths, so label cardinality stays bounded.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

type Key = (String, String, u16);

#[derive(Clone, Default)]
pub struct Metrics {
    inner: Arc<Mutex<BTreeMap<Key, Series>>>,
    counters: Arc<Mutex<BTreeMap<(String, String), u64>>>,
    gauges: Arc<Mutex<BTreeMap<(String, String), f64>>>,
}

impl Metrics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let Ok(mut map) = self.inner.lock() else {
            return;
        };
        let s = map
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default();
        s.count += 1;
        s.sum += seconds;
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                s.buckets[i] += 1;
            }
        }
    }

    /// A free-form counter for domain events (e.g. `orders_rejected_total`, `reason="kyc"`).
    pub fn incr(&self, name: &str, labels: &str) {
        if let Ok(mut c) = self.counters.lock() {
            *c.entry((name.to_owned(), labels.to_owned())).or_default() += 1;
        }
    }

    /// A value that goes up and down (a backlog, a lag), set to its latest reading.
    pub fn set_gauge(&self, name: &str, labels: &str, value: f64) {
        if let Ok(mut g) = self.gauges.lock() {
            g.insert((name.to_owned(), labels.to_owned()), value);
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP http_requests_total HTTP requests by method, route and status.\n");
        out.push_str("# TYPE http_requests_total counter\n");
        let map = match self.inner.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        for ((m, r, s), series) in map.iter() {
            let _ = writeln!(
                out,
                "http_requests_total{{method=\"{m}\",route=\"{}\",status=\"{s}\"}} {}",
                escape(r),
                series.count
            );
        }
        out.push_str(
            "# HELP http_request_duration_seconds HTTP request latency by method, route and status.\n",
        );
        out.push_str("# TYPE http_request_duration_seconds histogram\n");
        for ((m, r, s), series) in map.iter() {
            let labels = format!("method=\"{m}\",route=\"{}\",status=\"{s}\"", escape(r));
            for (i, le) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {}",
                    series.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                series.count
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_sum{{{labels}}} {}",
                series.sum
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_count{{{labels}}} {}",
                series.count
            );
        }
        drop(map);
        let counters = match self.counters.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut last = "";
        for ((name, labels), v) in counters.iter() {
            if name != last {
                let _ = writeln!(out, "# TYPE {name} counter");
                last = name;
            }
            if labels.is_empty() {
                let _ = writeln!(out, "{name} {v}");
            } else {
                let _ = writeln!(out, "{name}{{{labels}}} {v}");
            }
        }
        drop(counters);
        let gauges = match self.gauges.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut last = "";
        for ((name, labels), v) in gauges.iter() {
            if name != last {
                let _ = writeln!(out, "# TYPE {name} gauge");
                last = name;
            }
            if labels.is_empty() {
                let _ = writeln!(out, "{name} {v}");
            } else {
                let _ = writeln!(out, "{name}{{{labels}}} {v}");
            }
        }
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

pub async fn middleware(State(metrics): State<Metrics>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let res = next.run(req).await;
    let elapsed = start.elapsed();
    let status = res.status().as_u16();
    metrics.observe(&method, &route, status, elapsed.as_secs_f64());
    tracing::info!(
        status,
        // Microsecond resolution is plenty and keeps the log line short.
        latency_ms = elapsed.as_micros() as f64 / 1000.0,
        route = %route,
        "request completed"
    );
    res
}

pub async fn handler(State(metrics): State<Metrics>) -> Response {
    let mut res = metrics.render().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_histograms() {
        let m = Metrics::new();
        m.observe("GET", "/v1/orders/{id}", 200, 0.003);
        m.observe("GET", "/v1/orders/{id}", 200, 0.2);
        m.incr("orders_rejected_total", "reason=\"kyc\"");
        let text = m.render();
        assert!(text.contains(
            "http_requests_total{method=\"GET\",route=\"/v1/orders/{id}\",status=\"200\"} 2"
        ));
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains("le=\"0.25\"} 2"));
        assert!(text.contains("orders_rejected_total{reason=\"kyc\"} 1"));
    }

    #[test]
    fn gauges_keep_their_latest_reading() {
        let m = Metrics::new();
        m.set_gauge("outbox_lag_seconds", "", 12.5);
        m.set_gauge("outbox_lag_seconds", "", 0.25);
        let text = m.render();
        assert!(text.contains("# TYPE outbox_lag_seconds gauge"), "{text}");
        assert!(text.contains("outbox_lag_seconds 0.25"), "{text}");
        assert!(!text.contains("12.5"), "{text}");
    }
}
