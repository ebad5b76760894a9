//! One HTTP channel to a search engine, whichever it is. `GET /` tells Elasticsearch from OpenSearch;
//! Elasticsearch 8.x is then spoken to through the official `elasticsearch` crate (async, so a small
//! tokio runtime lives inside), OpenSearch through reqwest's blocking client (OpenSearch rejects the
//! ES 8 client's `compatible-with` headers). Both carry the same JSON, so everything above this file
//! is engine-neutral apart from the vector dialect (`dialect.rs`).

use super::error::{EngineError, truncate};
use serde_json::Value;
use std::time::Duration;

/// Which engine answered `GET /`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flavor {
    Elasticsearch,
    OpenSearch,
}

impl std::fmt::Display for Flavor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Flavor::Elasticsearch => "Elasticsearch",
            Flavor::OpenSearch => "OpenSearch",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EngineInfo {
    pub flavor: Flavor,
    /// `version.number` as reported (`8.13.4`, `2.19.1`).
    pub version: String,
    pub major: u32,
    pub minor: u32,
}

impl std::fmt::Display for EngineInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.flavor, self.version)
    }
}

/// Reads `GET /`'s body. Elasticsearch 8.x and OpenSearch 2.x/3.x are accepted; anything else is
/// `WrongVersion` (or `NotAnEngine` when the body is not an engine's banner at all).
pub fn parse_banner(url: &str, body: &Value) -> Result<EngineInfo, EngineError> {
    let version = &body["version"];
    let Some(number) = version["number"].as_str() else {
        return Err(EngineError::NotAnEngine { url: url.into(), body: truncate(&body.to_string(), 300) });
    };
    let mut parts = number.split(['.', '-']).map(|p| p.parse::<u32>().ok());
    let major = parts.next().flatten().unwrap_or(0);
    let minor = parts.next().flatten().unwrap_or(0);
    let flavor =
        if version["distribution"].as_str() == Some("opensearch") { Flavor::OpenSearch } else { Flavor::Elasticsearch };
    let info = EngineInfo { flavor, version: number.to_string(), major, minor };
    let supported = match flavor {
        Flavor::Elasticsearch => major == 8,
        Flavor::OpenSearch => major == 2 || major == 3,
    };
    if !supported {
        return Err(EngineError::WrongVersion { url: url.into(), found: info.to_string() });
    }
    Ok(info)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Put,
    Post,
    Delete,
    Head,
}

/// A request body.
#[derive(Debug, Clone, Copy)]
pub enum Payload<'a> {
    None,
    Json(&'a Value),
    /// Newline-delimited JSON (`_bulk`, `_msearch`), already serialised, ending in `\n`.
    NdJson(&'a [u8]),
}

/// An engine's answer: any HTTP status, body parsed as JSON (`Value::Null` for an empty body).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Overload or restart: worth retrying the same request after a pause.
    pub fn is_transient(&self) -> bool {
        matches!(self.status, 429 | 502 | 503 | 504)
    }
}

enum Transport {
    Elasticsearch { client: elasticsearch::Elasticsearch, runtime: tokio::runtime::Runtime },
    OpenSearch { client: reqwest::blocking::Client },
}

/// Retry policy for transient failures (429/5xx, refused connections mid-run).
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub max_attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { max_attempts: 6, first_delay: Duration::from_millis(200), max_delay: Duration::from_secs(5) }
    }
}

impl Backoff {
    fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.min(16);
        self.first_delay.saturating_mul(factor).min(self.max_delay)
    }
}

pub struct EngineClient {
    url: String,
    info: EngineInfo,
    transport: Transport,
    backoff: Backoff,
}

impl std::fmt::Debug for EngineClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineClient").field("url", &self.url).field("info", &self.info).finish()
    }
}

/// Default per-request timeout; an `_msearch` of a few dozen users over a large index can take seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

impl EngineClient {
    /// Connects to `url`, reads `GET /` and picks the transport for that engine.
    pub fn connect(url: &str) -> Result<EngineClient, EngineError> {
        EngineClient::connect_with(url, DEFAULT_TIMEOUT)
    }

    pub fn connect_with(url: &str, timeout: Duration) -> Result<EngineClient, EngineError> {
        let url = normalise_url(url)?;
        let http = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| EngineError::BadUrl { url: url.clone(), reason: e.to_string() })?;
        let banner = http
            .get(format!("{url}/"))
            .send()
            .map_err(|e| EngineError::Unreachable { url: url.clone(), reason: error_chain(&e) })?;
        let status = banner.status().as_u16();
        let text = banner.text().map_err(|e| EngineError::Unreachable { url: url.clone(), reason: error_chain(&e) })?;
        let body: Value = serde_json::from_str(&text)
            .map_err(|_| EngineError::NotAnEngine { url: url.clone(), body: truncate(&text, 300) })?;
        if status == 401 || status == 403 {
            return Err(EngineError::Http {
                url: url.clone(),
                what: "GET /".into(),
                status,
                error_type: "security_exception".into(),
                reason: "the engine requires authentication; docker-compose.yml runs with security off".into(),
            });
        }
        let info = parse_banner(&url, &body)?;
        let transport = match info.flavor {
            Flavor::OpenSearch => Transport::OpenSearch { client: http },
            Flavor::Elasticsearch => {
                let parsed = elasticsearch::http::Url::parse(&url)
                    .map_err(|e| EngineError::BadUrl { url: url.clone(), reason: e.to_string() })?;
                let pool = elasticsearch::http::transport::SingleNodeConnectionPool::new(parsed);
                let transport = elasticsearch::http::transport::TransportBuilder::new(pool)
                    .timeout(timeout)
                    .disable_proxy()
                    .build()
                    .map_err(|e| EngineError::BadUrl { url: url.clone(), reason: e.to_string() })?;
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("scorelab-es")
                    .enable_all()
                    .build()
                    .map_err(|e| EngineError::Unreachable { url: url.clone(), reason: e.to_string() })?;
                Transport::Elasticsearch { client: elasticsearch::Elasticsearch::new(transport), runtime }
            }
        };
        Ok(EngineClient { url, info, transport, backoff: Backoff::default() })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn info(&self) -> &EngineInfo {
        &self.info
    }

    pub fn set_backoff(&mut self, backoff: Backoff) {
        self.backoff = backoff;
    }

    /// One attempt. Any HTTP status is a `Reply`; only a failure to talk at all is an error.
    pub fn send_once(&self, method: Method, path: &str, payload: Payload<'_>) -> Result<Reply, EngineError> {
        let unreachable = |reason: String| EngineError::Unreachable { url: self.url.clone(), reason };
        match &self.transport {
            Transport::OpenSearch { client } => {
                let full = format!("{}{}", self.url, path);
                let builder = match method {
                    Method::Get => client.get(&full),
                    Method::Put => client.put(&full),
                    Method::Post => client.post(&full),
                    Method::Delete => client.delete(&full),
                    Method::Head => client.head(&full),
                };
                let builder = match payload {
                    Payload::None => builder,
                    Payload::Json(value) => builder
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .body(serde_json::to_vec(value).map_err(|e| unreachable(e.to_string()))?),
                    Payload::NdJson(bytes) => {
                        builder.header(reqwest::header::CONTENT_TYPE, "application/x-ndjson").body(bytes.to_vec())
                    }
                };
                let response = builder.send().map_err(|e| unreachable(error_chain(&e)))?;
                let status = response.status().as_u16();
                let bytes = response.bytes().map_err(|e| unreachable(error_chain(&e)))?;
                Ok(Reply { status, body: parse_body(&bytes) })
            }
            Transport::Elasticsearch { client, runtime } => {
                use elasticsearch::http::Method as EsMethod;
                use elasticsearch::http::headers::{CONTENT_TYPE, HeaderMap, HeaderValue};
                let es_method = match method {
                    Method::Get => EsMethod::Get,
                    Method::Put => EsMethod::Put,
                    Method::Post => EsMethod::Post,
                    Method::Delete => EsMethod::Delete,
                    Method::Head => EsMethod::Head,
                };
                let mut headers = HeaderMap::new();
                let body: Option<Vec<u8>> = match payload {
                    Payload::None => None,
                    Payload::Json(value) => Some(serde_json::to_vec(value).map_err(|e| unreachable(e.to_string()))?),
                    Payload::NdJson(bytes) => {
                        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/x-ndjson"));
                        Some(bytes.to_vec())
                    }
                };
                let (path, query) = split_query(path);
                runtime.block_on(async {
                    let response = client
                        .send::<Vec<u8>, [(String, String)]>(es_method, path, headers, Some(&query[..]), body, None)
                        .await
                        .map_err(|e| unreachable(error_chain(&e)))?;
                    let status = response.status_code().as_u16();
                    let bytes = response.bytes().await.map_err(|e| unreachable(error_chain(&e)))?;
                    Ok(Reply { status, body: parse_body(&bytes) })
                })
            }
        }
    }

    /// Sends, retrying transient failures (429, 502-504, dropped connections) with exponential backoff.
    /// Returns the last reply, which may still be a non-2xx status for the caller to classify.
    pub fn send(&self, what: &str, method: Method, path: &str, payload: Payload<'_>) -> Result<Reply, EngineError> {
        let mut last = String::new();
        for attempt in 0..self.backoff.max_attempts {
            if attempt > 0 {
                std::thread::sleep(self.backoff.delay(attempt - 1));
            }
            match self.send_once(method, path, payload) {
                Ok(reply) if reply.is_transient() => {
                    last = format!("HTTP {}: {}", reply.status, truncate(&reply.body.to_string(), 300));
                    tracing::debug!(what, attempt, status = reply.status, "transient engine failure, backing off");
                }
                Ok(reply) => return Ok(reply),
                // `connect` already reached the engine, so a dropped connection now is most likely a
                // restart or an overloaded node: worth the same backoff.
                Err(err @ EngineError::Unreachable { .. }) => last = err.to_string(),
                Err(err) => return Err(err),
            }
        }
        Err(EngineError::RetriesExhausted {
            url: self.url.clone(),
            what: what.to_string(),
            attempts: self.backoff.max_attempts,
            last,
        })
    }
}

fn parse_body(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

/// `/items/_search?x=y` → (`/items/_search`, [(x, y)]): the ES client takes the query separately.
fn split_query(path: &str) -> (&str, Vec<(String, String)>) {
    match path.split_once('?') {
        None => (path, Vec::new()),
        Some((path, query)) => {
            let pairs = query
                .split('&')
                .filter(|kv| !kv.is_empty())
                .map(|kv| match kv.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (kv.to_string(), String::new()),
                })
                .collect();
            (path, pairs)
        }
    }
}

fn normalise_url(url: &str) -> Result<String, EngineError> {
    let trimmed = url.trim().trim_end_matches('/');
    if !(trimmed.starts_with("http://") || trimmed.starts_with("https://")) {
        return Err(EngineError::BadUrl { url: url.into(), reason: "expected http://host:port".into() });
    }
    Ok(trimmed.to_string())
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn detects_opensearch_and_elasticsearch() {
        let os = json!({"version": {"distribution": "opensearch", "number": "2.19.1"}});
        let info = parse_banner("u", &os).expect("opensearch 2 is supported");
        assert_eq!((info.flavor, info.major, info.minor), (Flavor::OpenSearch, 2, 19));
        let es = json!({"version": {"number": "8.13.4", "build_flavor": "default"}, "tagline": "You Know, for Search"});
        let info = parse_banner("u", &es).expect("es 8 is supported");
        assert_eq!((info.flavor, info.major, info.minor), (Flavor::Elasticsearch, 8, 13));
    }

    #[test]
    fn rejects_old_elasticsearch_and_non_engines() {
        let es7 = json!({"version": {"number": "7.17.9"}});
        assert!(matches!(parse_banner("u", &es7), Err(EngineError::WrongVersion { .. })));
        assert!(matches!(parse_banner("u", &json!({"hello": 1})), Err(EngineError::NotAnEngine { .. })));
    }

    #[test]
    fn unreachable_engine_names_docker_compose() {
        // Port 9 (discard) on localhost is essentially never listening.
        let err =
            EngineClient::connect_with("http://127.0.0.1:9", Duration::from_secs(2)).expect_err("nothing listens");
        assert!(matches!(err, EngineError::Unreachable { .. }), "{err}");
        assert!(err.to_string().contains("docker compose up -d"), "{err}");
    }

    #[test]
    fn splits_query_strings_for_the_es_client() {
        let (path, query) = split_query("/items/_refresh?ignore_unavailable=true&x");
        assert_eq!(path, "/items/_refresh");
        assert_eq!(query, vec![("ignore_unavailable".into(), "true".into()), ("x".into(), String::new())]);
    }

    #[test]
    fn backoff_grows_and_caps() {
        let b = Backoff::default();
        assert!(b.delay(0) < b.delay(1));
        assert_eq!(b.delay(30), b.max_delay);
    }

    /// A one-connection-per-request HTTP server answering with canned bodies and recording what it got.
    fn fake_engine(banner: Value, answers: Vec<(u16, Value)>) -> (String, std::sync::mpsc::Receiver<String>) {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut replies = std::iter::once((200u16, banner)).chain(answers);
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut head = String::new();
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    head.push_str(&line);
                }
                let mut body = vec![0u8; length];
                let _ = reader.read_exact(&mut body);
                let _ = tx.send(format!("{head}\n{}", String::from_utf8_lossy(&body)));
                let Some((status, reply)) = replies.next() else { break };
                let text = reply.to_string();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                    text.len()
                );
            }
        });
        (url, rx)
    }

    #[test]
    fn elasticsearch_goes_through_the_official_client_with_ndjson_bodies() {
        let banner =
            json!({"version": {"number": "8.13.4", "build_flavor": "default"}, "tagline": "You Know, for Search"});
        let (url, seen) = fake_engine(banner, vec![(200, json!({"responses": []}))]);
        let client = EngineClient::connect_with(&url, Duration::from_secs(5)).expect("fake ES");
        assert_eq!(client.info().flavor, Flavor::Elasticsearch);
        let _banner_request = seen.recv().expect("GET /");
        let body = b"{\"index\":\"items\"}\n{\"size\":1}\n";
        let reply = client
            .send("msearch", Method::Post, "/items/_msearch?max_concurrent_searches=2", Payload::NdJson(body))
            .expect("send");
        assert_eq!(reply.status, 200);
        let request = seen.recv().expect("msearch request").to_ascii_lowercase();
        assert!(request.starts_with("post /items/_msearch?max_concurrent_searches=2 http/1.1"), "{request}");
        assert!(request.contains("content-type: application/x-ndjson"), "{request}");
        assert!(request.contains("elasticsearch-rs/"), "the ES client's user agent: {request}");
        assert!(request.ends_with("{\"size\":1}\n"), "{request}");
    }

    #[test]
    fn transient_statuses_are_retried_then_reported() {
        let banner = json!({"version": {"distribution": "opensearch", "number": "2.19.1"}});
        let busy = json!({"error": {"type": "es_rejected_execution_exception", "reason": "queue full"}, "status": 429});
        let (url, _seen) = fake_engine(banner, vec![(429, busy.clone()), (503, busy), (200, json!({"ok": true}))]);
        let mut client = EngineClient::connect_with(&url, Duration::from_secs(5)).expect("fake OpenSearch");
        client.set_backoff(Backoff {
            max_attempts: 3,
            first_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        });
        let reply =
            client.send("search", Method::Get, "/items/_search", Payload::None).expect("third attempt succeeds");
        assert_eq!(reply.body, json!({"ok": true}));
    }
}
