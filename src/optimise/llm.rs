//! LLM proposers over reqwest (blocking): the Anthropic Messages API, OpenAI Chat Completions and any
//! OpenAI-compatible server (llama.cpp, Ollama, vLLM) reached through a base URL. Retries with
//! exponential backoff on 429/5xx and transport errors (honouring `retry-after`), a per-request
//! timeout, a bounded number of "your reply was unusable" rounds, and token/cost accounting.
//! The API key is held in [`ApiKey`], whose `Debug` is redacted, and every error text is passed
//! through [`redact`] before it can reach a log, a snapshot or a report.

use super::prompt::{
    EXAMPLE_RATIONALE, EditFormat, ReplyProblem, Retry, fix_prompt, parent_choice_prompt, parent_choice_schema,
    parent_choice_system_prompt, parent_retry_prompt, parse_parent_choice, retry_prompt, system_prompt,
};
use super::proposer::{
    CallJournal, Failure, ParentChoice, ParentChoiceContext, Proposal, ProposalContext, Proposed, Proposer,
    ProposerError, ScriptTexts, Usage,
};
use super::reply::{ReplyRules, read_reply};
use std::cell::RefCell;
use std::time::{Duration, Instant};

/// How the reply's shape is enforced by the server, where it can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructuredOutput {
    /// OpenAI's `response_format: {"type": "json_schema", "json_schema": {...}}`.
    JsonSchema,
    /// `response_format: {"type": "json_object", "schema": {...}}`: the form llama.cpp's server and
    /// llama-cpp-python turn into a grammar (other compatible servers at least return JSON).
    JsonObjectSchema,
    /// Anthropic: a forced tool call whose input schema is the reply's.
    ToolUse,
    /// Nothing enforced: the reply is parsed from free text (JSON, SEARCH/REPLACE or fenced Painless).
    Off,
}

impl StructuredOutput {
    /// `auto` picks what the provider is known to honour.
    pub fn parse(name: &str, kind: ProviderKind) -> Option<StructuredOutput> {
        Some(match name {
            "auto" => match kind {
                ProviderKind::Anthropic => StructuredOutput::ToolUse,
                ProviderKind::OpenAi => StructuredOutput::JsonSchema,
                ProviderKind::OpenAiCompatible => StructuredOutput::JsonObjectSchema,
            },
            "json-schema" => StructuredOutput::JsonSchema,
            "json-object" => StructuredOutput::JsonObjectSchema,
            "tool" if kind == ProviderKind::Anthropic => StructuredOutput::ToolUse,
            "off" => StructuredOutput::Off,
            _ => return None,
        })
    }
}

/// `http://user:password@host/v1` → `http://[redacted]@host/v1`: credentials in a URL never reach a
/// log, an error or a file.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else { return url.to_string() };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}[redacted]@{}", &url[..scheme_end], &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// The user-info part (`user:password`) of a URL, if any: redacted wherever it could appear.
fn url_credentials(url: &str) -> Option<String> {
    let scheme_end = url.find("://")? + 3;
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = rest[..authority_end].rfind('@')?;
    Some(rest[..at].to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    Anthropic,
    OpenAi,
    /// An OpenAI-compatible server; the key is optional (local servers rarely need one).
    OpenAiCompatible,
}

impl ProviderKind {
    pub fn parse(name: &str) -> Option<ProviderKind> {
        match name.trim().to_ascii_lowercase().as_str() {
            "anthropic" => Some(ProviderKind::Anthropic),
            "openai" => Some(ProviderKind::OpenAi),
            "openai-compatible" | "openai_compatible" | "compatible" => Some(ProviderKind::OpenAiCompatible),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::OpenAi => "openai",
            ProviderKind::OpenAiCompatible => "openai-compatible",
        }
    }
}

/// An API key. Never printed: `Debug` shows `ApiKey([redacted])`.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: String) -> ApiKey {
        ApiKey(key)
    }
    fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

/// Replaces every occurrence of the key in `text`.
pub fn redact(text: &str, key: Option<&ApiKey>) -> String {
    match key {
        Some(k) if k.0.len() >= 4 => text.replace(k.expose(), "[redacted]"),
        _ => text.to_string(),
    }
}

/// A URL with credentials redacted, and every occurrence of those credentials in any text.
fn redact_all(text: &str, key: Option<&ApiKey>, url: &str) -> String {
    let mut out = redact(text, key);
    if let Some(creds) = url_credentials(url).filter(|c| !c.is_empty()) {
        out = out.replace(&creds, "[redacted]");
        if let Some((_, password)) = creds.split_once(':').filter(|(_, p)| p.len() >= 3) {
            out = out.replace(password, "[redacted]");
        }
    }
    out
}

/// Default `--request-timeout`: a slow local model writes a 1,500-token reply in under 3 minutes.
pub const DEFAULT_REQUEST_TIMEOUT_S: u64 = 300;
/// Default `--max-retry-time`: an unanswering server costs at most this per iteration (the first
/// request that exhausts it ends the iteration as `proposer_error`).
pub const DEFAULT_MAX_RETRY_TIME_S: u64 = 300;
/// Default `--reply-max-tokens`: a whole rewrite of a long script set fits; an 8k context keeps room
/// for the default prompt budget beside it.
pub const DEFAULT_REPLY_MAX_TOKENS: u32 = 1536;
/// The most a cut-off reply's retry is given (its allowance doubles up to this).
const MAX_REPLY_ALLOWANCE: u32 = 4096;

#[derive(Debug, Clone)]
pub struct LlmSettings {
    pub kind: ProviderKind,
    pub model: String,
    pub base_url: String,
    pub api_key: Option<ApiKey>,
    pub timeout: Duration,
    /// Retries after the first try on 429/5xx/transport errors.
    pub max_retries: u32,
    /// First backoff; doubled on each retry unless the server sends `retry-after`.
    pub backoff: Duration,
    /// Upper bound on one wait (also caps `retry-after`).
    pub max_backoff: Duration,
    /// Rounds of "your reply could not be used" before giving up on one proposal.
    pub max_reply_rounds: u32,
    /// `--reply-max-tokens`: the most tokens one reply may have.
    pub max_tokens: u32,
    /// `--temperature` (None: the server's default).
    pub temperature: Option<f64>,
    /// `--max-retry-time`: the longest one request may keep being retried (waits included).
    pub max_retry_time: Duration,
    /// `--structured-output`.
    pub structured: StructuredOutput,
    /// `--prompt-budget`: system + user prompt tokens (estimated) of a proposal.
    pub prompt_budget: usize,
    /// `--edit-format`: edits against the parent, or whole scripts.
    pub edit_format: EditFormat,
    /// `--directions`: suggest one concrete change per proposal (`super::directions`).
    pub directions: bool,
    /// The run's seed, sent as the sampling seed where the API takes one (OpenAI and OpenAI-compatible
    /// servers; llama.cpp honours it), so a run on the same server build can be repeated reply for
    /// reply. Anthropic's API has no seed. None: not sent.
    pub seed: Option<u64>,
}

impl LlmSettings {
    /// Settings from the environment (`.env` is loaded by the CLI before this runs): keys only from
    /// `ANTHROPIC_API_KEY` / `OPENAI_API_KEY`, models from `ANTHROPIC_MODEL` / `OPENAI_MODEL`, the base
    /// URL from `OPENAI_BASE_URL`; explicit `model` / `base_url` arguments win.
    pub fn from_env(
        kind: ProviderKind,
        model: Option<String>,
        base_url: Option<String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<LlmSettings, ProposerError> {
        let nonempty = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let missing = |name: &str| ProposerError::MissingSetting { provider: kind.as_str().into(), name: name.into() };
        let (model, base_url, api_key) = match kind {
            ProviderKind::Anthropic => (
                model.or_else(|| nonempty("ANTHROPIC_MODEL")).unwrap_or_else(|| "claude-sonnet-4-5".into()),
                base_url.unwrap_or_else(|| "https://api.anthropic.com".into()),
                Some(nonempty("ANTHROPIC_API_KEY").ok_or_else(|| missing("ANTHROPIC_API_KEY"))?),
            ),
            ProviderKind::OpenAi => (
                model.or_else(|| nonempty("OPENAI_MODEL")).unwrap_or_else(|| "gpt-4.1-mini".into()),
                base_url.or_else(|| nonempty("OPENAI_BASE_URL")).unwrap_or_else(|| "https://api.openai.com".into()),
                Some(nonempty("OPENAI_API_KEY").ok_or_else(|| missing("OPENAI_API_KEY"))?),
            ),
            ProviderKind::OpenAiCompatible => (
                model.or_else(|| nonempty("OPENAI_MODEL")).ok_or_else(|| missing("OPENAI_MODEL (or --model)"))?,
                base_url
                    .or_else(|| nonempty("OPENAI_BASE_URL"))
                    .ok_or_else(|| missing("OPENAI_BASE_URL (or --base-url)"))?,
                nonempty("OPENAI_API_KEY"),
            ),
        };
        Ok(LlmSettings {
            kind,
            model,
            base_url,
            api_key: api_key.map(ApiKey::new),
            timeout: Duration::from_secs(DEFAULT_REQUEST_TIMEOUT_S),
            max_retries: 4,
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            max_reply_rounds: 3,
            max_tokens: DEFAULT_REPLY_MAX_TOKENS,
            temperature: None,
            max_retry_time: Duration::from_secs(DEFAULT_MAX_RETRY_TIME_S),
            structured: StructuredOutput::parse("auto", kind).unwrap_or(StructuredOutput::Off),
            prompt_budget: super::prompt::DEFAULT_PROMPT_BUDGET,
            edit_format: EditFormat::default(),
            directions: true,
            seed: None,
        })
    }
}

/// USD per million tokens (input, output): list prices as published by Anthropic and OpenAI, checked
/// 2025-11. Matched by longest model-name prefix; a model not listed gets cost `null`, never a guess.
const PRICES: &[(&str, f64, f64)] = &[
    ("claude-opus-4-5", 5.0, 25.0),
    ("claude-opus-4", 15.0, 75.0),
    ("claude-sonnet-4", 3.0, 15.0),
    ("claude-haiku-4-5", 1.0, 5.0),
    ("claude-3-7-sonnet", 3.0, 15.0),
    ("claude-3-5-sonnet", 3.0, 15.0),
    ("claude-3-5-haiku", 0.8, 4.0),
    ("claude-3-haiku", 0.25, 1.25),
    ("claude-3-opus", 15.0, 75.0),
    ("gpt-4o-mini", 0.15, 0.6),
    ("gpt-4o", 2.5, 10.0),
    ("gpt-4.1-nano", 0.1, 0.4),
    ("gpt-4.1-mini", 0.4, 1.6),
    ("gpt-4.1", 2.0, 8.0),
    ("gpt-5-nano", 0.05, 0.4),
    ("gpt-5-mini", 0.25, 2.0),
    ("gpt-5", 1.25, 10.0),
    ("o4-mini", 1.1, 4.4),
    ("o3-mini", 1.1, 4.4),
];

/// The cost of one call, or None for a model without a listed price.
pub fn cost_usd(model: &str, input_tokens: u64, output_tokens: u64) -> Option<f64> {
    PRICES
        .iter()
        .filter(|(prefix, _, _)| model.starts_with(prefix))
        .max_by_key(|(prefix, _, _)| prefix.len())
        .map(|(_, i, o)| (input_tokens as f64 * i + output_tokens as f64 * o) / 1_000_000.0)
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessage {
    pub role: &'static str,
    pub content: String,
}

pub struct LlmProposer {
    settings: LlmSettings,
    client: reqwest::blocking::Client,
    /// Every call since the loop last drained it (see `Proposer::drain_journal`).
    journal: RefCell<CallJournal>,
}

impl LlmProposer {
    pub fn new(settings: LlmSettings) -> Result<LlmProposer, ProposerError> {
        let client = reqwest::blocking::Client::builder().timeout(settings.timeout).build().map_err(|e| {
            ProposerError::Transport {
                provider: settings.kind.as_str().into(),
                url: redact_url(&settings.base_url),
                message: redact_all(&e.to_string(), settings.api_key.as_ref(), &settings.base_url),
            }
        })?;
        Ok(LlmProposer { settings, client, journal: RefCell::new(CallJournal::default()) })
    }

    fn redact(&self, text: &str) -> String {
        redact_all(text, self.settings.api_key.as_ref(), &self.settings.base_url)
    }

    fn warn(&self, message: String) {
        let message = self.redact(&message);
        tracing::warn!("{message}");
        self.journal.borrow_mut().warnings.push(message);
    }

    fn endpoint(&self) -> String {
        let base = self.settings.base_url.trim_end_matches('/');
        // OPENAI_BASE_URL is often given with its /v1 already (Ollama: http://localhost:11434/v1).
        let base = base.strip_suffix("/v1").unwrap_or(base);
        match self.settings.kind {
            ProviderKind::Anthropic => format!("{base}/v1/messages"),
            ProviderKind::OpenAi | ProviderKind::OpenAiCompatible => format!("{base}/v1/chat/completions"),
        }
    }

    /// The request body; `schema` (name, JSON schema) asks for structured output where the provider has it.
    fn body(
        &self,
        system: &str,
        messages: &[ChatMessage],
        schema: Option<(&str, serde_json::Value)>,
        max_tokens: u32,
    ) -> serde_json::Value {
        let mut body = match self.settings.kind {
            ProviderKind::Anthropic => serde_json::json!({
                "model": self.settings.model,
                "max_tokens": max_tokens,
                "system": system,
                "messages": messages.iter().map(|m| serde_json::json!({
                    "role": m.role,
                    "content": [{"type": "text", "text": m.content}],
                })).collect::<Vec<_>>(),
            }),
            ProviderKind::OpenAi | ProviderKind::OpenAiCompatible => {
                let mut all = vec![serde_json::json!({"role": "system", "content": system})];
                all.extend(messages.iter().map(|m| serde_json::json!({"role": m.role, "content": m.content})));
                let mut body = serde_json::json!({
                    "model": self.settings.model,
                    "max_tokens": max_tokens,
                    "messages": all,
                });
                if let Some(seed) = self.settings.seed {
                    body["seed"] = serde_json::json!(seed);
                }
                body
            }
        };
        if let Some(t) = self.settings.temperature {
            body["temperature"] = serde_json::json!(t);
        }
        if let Some((name, schema)) = schema {
            match self.settings.structured {
                StructuredOutput::JsonSchema => {
                    body["response_format"] = serde_json::json!({
                        "type": "json_schema",
                        "json_schema": {"name": name, "schema": schema},
                    });
                }
                StructuredOutput::JsonObjectSchema => {
                    body["response_format"] = serde_json::json!({"type": "json_object", "schema": schema});
                }
                StructuredOutput::ToolUse if self.settings.kind == ProviderKind::Anthropic => {
                    body["tools"] = serde_json::json!([{
                        "name": name,
                        "description": "Submit the reply.",
                        "input_schema": schema,
                    }]);
                    body["tool_choice"] = serde_json::json!({"type": "tool", "name": name});
                }
                StructuredOutput::ToolUse | StructuredOutput::Off => {}
            }
        }
        body
    }

    fn err_transport(&self, url: &str, message: String) -> ProposerError {
        ProposerError::Transport {
            provider: self.settings.kind.as_str().into(),
            url: url.into(),
            message: self.redact(&message),
        }
    }

    /// One chat completion with retries; returns the reply text and its usage. Every call is
    /// journaled (usage, time, raw reply), whatever its outcome.
    /// `max_tokens` is the reply allowance of this call (`--reply-max-tokens`, or more for a reply that
    /// must hold a whole script).
    pub fn complete(
        &self,
        system: &str,
        messages: &[ChatMessage],
        schema: Option<(&str, serde_json::Value)>,
        max_tokens: u32,
    ) -> Result<(String, Usage), ProposerError> {
        let started = Instant::now();
        let result = self.complete_with_retries(system, messages, schema, max_tokens, started);
        let mut journal = self.journal.borrow_mut();
        journal.calls += 1;
        journal.llm_ms += started.elapsed().as_secs_f64() * 1000.0;
        if let Ok((reply, usage)) = &result {
            journal.usage.add(*usage);
            journal.replies.push(reply.clone());
        }
        result
    }

    fn complete_with_retries(
        &self,
        system: &str,
        messages: &[ChatMessage],
        schema: Option<(&str, serde_json::Value)>,
        max_tokens: u32,
        started: Instant,
    ) -> Result<(String, Usage), ProposerError> {
        let url = self.endpoint();
        let shown_url = redact_url(&url);
        let body = self.body(system, messages, schema, max_tokens);
        let mut wait = self.settings.backoff;
        let mut attempt = 0;
        loop {
            let mut request = self.client.post(&url).json(&body);
            request = match (self.settings.kind, &self.settings.api_key) {
                (ProviderKind::Anthropic, key) => {
                    let r = request.header("anthropic-version", "2023-06-01");
                    match key {
                        Some(k) => r.header("x-api-key", k.expose()),
                        None => r,
                    }
                }
                (_, Some(k)) => request.bearer_auth(k.expose()),
                (_, None) => request,
            };
            let retryable_wait = match request.send() {
                Err(e) => {
                    let message = if e.is_timeout() {
                        format!("timed out after {:?}", self.settings.timeout)
                    } else {
                        // reqwest's Display does not include headers, but redact anyway.
                        e.to_string()
                    };
                    if attempt >= self.settings.max_retries {
                        return Err(self.err_transport(&shown_url, message));
                    }
                    self.warn(format!(
                        "{}: {} (retry {} of {}, {:.0} s spent)",
                        self.settings.kind.as_str(),
                        message,
                        attempt + 1,
                        self.settings.max_retries,
                        started.elapsed().as_secs_f64()
                    ));
                    None
                }
                Ok(response) => {
                    let status = response.status();
                    let retry_after = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<f64>().ok())
                        .filter(|s| s.is_finite() && *s >= 0.0)
                        .map(Duration::from_secs_f64);
                    let text = response.text().map_err(|e| self.err_transport(&shown_url, e.to_string()))?;
                    if status.is_success() {
                        return self.read_reply(&shown_url, &text);
                    }
                    let retryable = status.as_u16() == 429 || status.is_server_error();
                    if !retryable || attempt >= self.settings.max_retries {
                        return Err(ProposerError::Status {
                            provider: self.settings.kind.as_str().into(),
                            url: shown_url,
                            status: status.as_u16(),
                            body: self.redact(&super::prompt::truncate(&text, 500)),
                        });
                    }
                    self.warn(format!(
                        "{}: HTTP {} (retry {} of {})",
                        self.settings.kind.as_str(),
                        status.as_u16(),
                        attempt + 1,
                        self.settings.max_retries
                    ));
                    retry_after
                }
            };
            let pause = retryable_wait.unwrap_or(wait).min(self.settings.max_backoff);
            if started.elapsed() + pause > self.settings.max_retry_time {
                return Err(ProposerError::RetryTimeExhausted {
                    provider: self.settings.kind.as_str().into(),
                    seconds: started.elapsed().as_secs_f64(),
                    last: format!("{shown_url} kept failing"),
                });
            }
            std::thread::sleep(pause);
            wait = (wait * 2).min(self.settings.max_backoff);
            attempt += 1;
        }
    }

    fn read_reply(&self, url: &str, text: &str) -> Result<(String, Usage), ProposerError> {
        let bad = |what: &str| ProposerError::Transport {
            provider: self.settings.kind.as_str().into(),
            url: url.into(),
            message: format!("unexpected response body ({what}): {}", self.redact(&super::prompt::truncate(text, 300))),
        };
        let value: serde_json::Value = serde_json::from_str(text).map_err(|_| bad("not JSON"))?;
        let (reply, input, output) = match self.settings.kind {
            ProviderKind::Anthropic => {
                let blocks = value.get("content").and_then(|c| c.as_array()).ok_or_else(|| bad("no content"))?;
                // A forced tool call carries the reply as its input object.
                let tool_input = blocks
                    .iter()
                    .find(|b| b.get("type").and_then(|t| t.as_str()) == Some("tool_use"))
                    .and_then(|b| b.get("input"))
                    .map(|i| i.to_string());
                let reply: String = tool_input.unwrap_or_else(|| {
                    blocks
                        .iter()
                        .filter(|b| b.get("type").and_then(|t| t.as_str()) == Some("text"))
                        .filter_map(|b| b.get("text").and_then(|t| t.as_str()))
                        .collect::<Vec<_>>()
                        .join("\n")
                });
                let usage = value.get("usage");
                let tokens = |name: &str| usage.and_then(|u| u.get(name)).and_then(|v| v.as_u64()).unwrap_or(0);
                (reply, tokens("input_tokens"), tokens("output_tokens"))
            }
            ProviderKind::OpenAi | ProviderKind::OpenAiCompatible => {
                let reply = value
                    .pointer("/choices/0/message/content")
                    .and_then(|c| c.as_str())
                    .ok_or_else(|| bad("no choices[0].message.content"))?
                    .to_string();
                let usage = value.get("usage");
                let tokens = |name: &str| usage.and_then(|u| u.get(name)).and_then(|v| v.as_u64()).unwrap_or(0);
                (reply, tokens("prompt_tokens"), tokens("completion_tokens"))
            }
        };
        let cost = cost_usd(&self.settings.model, input, output);
        Ok((reply, Usage { input_tokens: input, output_tokens: output, cost_usd: cost }))
    }

    /// A conversation that must end in a usable reply; unusable replies get `retry`'s prompt.
    fn converse<T>(
        &self,
        system: &str,
        mut messages: Vec<ChatMessage>,
        schema: (&str, serde_json::Value),
        min_reply_tokens: u32,
        parse: impl Fn(&str) -> Result<T, ReplyProblem>,
        retry: impl Fn(&ReplyProblem) -> Retry,
    ) -> Result<(T, Usage), ProposerError> {
        let (schema_name, mut schema) = schema;
        let mut max_tokens = self.settings.max_tokens;
        self.raise_reply_allowance(&mut max_tokens, min_reply_tokens);
        let mut usage = Usage::default();
        let mut last_problem = String::new();
        for _ in 0..self.settings.max_reply_rounds.max(1) {
            let (reply, u) = self.complete(system, &messages, Some((schema_name, schema.clone())), max_tokens)?;
            usage.add(u);
            // A line repeated to the limit is no part of the answer: read what came before it.
            let repetition = super::reply::trailing_repetition(&reply);
            let reply = repetition.map_or(reply.as_str(), |(kept, _, _)| kept).to_string();
            match parse(&reply) {
                Ok(value) => return Ok((value, usage)),
                Err(mut problem) => {
                    // A reply that used its whole allowance was cut off, which is why it is unusable:
                    // say so, and give the retry twice the room (seen with --reply-max-tokens 400 and
                    // a model that sent edits and a whole script in one reply). A reply that looped
                    // on one line gets no more room: it would only repeat the line longer.
                    let cut_off = u.output_tokens >= u64::from(max_tokens);
                    if let Some((_, line, times)) = repetition {
                        let what = if line.is_empty() {
                            format!("ended in {times} blank lines")
                        } else {
                            format!("repeated the line {line:?} {times} times at its end")
                        };
                        problem.message = format!(
                            "your reply {what}, until the {max_tokens}-token limit; without those lines: {}. \
                             Send the reply once, with nothing after it",
                            problem.message
                        );
                    } else if cut_off {
                        problem.message = format!(
                            "your reply was cut off at the {max_tokens}-token limit, so {}; send one change only and \
                             keep the rationale to one sentence",
                            problem.message
                        );
                    }
                    self.warn(format!("{}: unusable reply: {}", self.name(), problem.message));
                    messages.push(ChatMessage { role: "assistant", content: reply });
                    let next = retry(&problem);
                    messages.push(ChatMessage { role: "user", content: next.prompt });
                    if cut_off && repetition.is_none() {
                        let doubled = max_tokens.saturating_mul(2).min(MAX_REPLY_ALLOWANCE);
                        self.raise_reply_allowance(&mut max_tokens, doubled);
                    }
                    if let Some(enforced) = next.schema {
                        schema = enforced;
                    }
                    self.raise_reply_allowance(&mut max_tokens, next.min_reply_tokens);
                    last_problem = problem.message;
                }
            }
        }
        Err(ProposerError::Unparseable {
            provider: self.name(),
            attempts: self.settings.max_reply_rounds.max(1),
            problem: self.redact(&last_problem),
        })
    }

    /// Raises the reply allowance (for a whole-script reply, or after a cut-off one), saying so.
    fn raise_reply_allowance(&self, max_tokens: &mut u32, needed: u32) {
        if needed > *max_tokens {
            self.warn(format!("{}: raising the reply allowance from {max_tokens} to {needed} tokens", self.name()));
            *max_tokens = needed;
        }
    }

    /// A conversation that must end in a usable proposal; edits in the replies apply to `base`.
    fn converse_proposal(
        &self,
        ctx: &ProposalContext,
        base: &ScriptTexts,
        messages: Vec<ChatMessage>,
    ) -> Result<Proposed, ProposerError> {
        let example_replace =
            ctx.baseline_scripts.as_ref().and_then(super::prompt::example_edit_parts).map(|(_, replace)| replace);
        let rules = ReplyRules {
            max_sort_scripts: ctx.contract.max_sort_scripts,
            example_rationale: Some(EXAMPLE_RATIONALE),
            example_replace: example_replace.as_deref(),
        };
        let format = self.settings.edit_format;
        let (proposal, usage) = self.converse(
            &system_prompt(ctx, format),
            messages,
            ("candidate", format.schema()),
            format.min_reply_tokens(base),
            |reply| read_reply(reply, base, rules),
            |problem| retry_prompt(problem, base, format),
        )?;
        Ok(Proposed { proposal, usage })
    }
}

impl Proposer for LlmProposer {
    fn name(&self) -> String {
        format!("{}:{}", self.settings.kind.as_str(), self.settings.model)
    }

    fn propose(&mut self, ctx: &ProposalContext) -> Result<Proposed, ProposerError> {
        let (_, prompt) = super::prompt::proposal_prompts(
            ctx,
            self.settings.prompt_budget,
            self.settings.edit_format,
            self.settings.directions,
        );
        self.converse_proposal(ctx, &ctx.parent, vec![ChatMessage { role: "user", content: prompt }])
    }

    /// A fix is its own short conversation: the broken candidate as numbered lines and what broke,
    /// not the whole proposal prompt again (a small model's context is precious, and the error shown
    /// is always the one of the script being edited).
    fn fix(
        &mut self,
        ctx: &ProposalContext,
        broken: &Proposal,
        failure: &Failure,
        attempt: u32,
    ) -> Result<Proposed, ProposerError> {
        let mut prompt = String::from("Item fields:\n");
        for f in &ctx.fields {
            prompt.push_str(&super::prompt::field_line(f));
            prompt.push('\n');
        }
        prompt.push('\n');
        prompt.push_str(&fix_prompt(broken, &ctx.parent, failure, attempt, self.settings.edit_format));
        self.converse_proposal(ctx, &broken.scripts(), vec![ChatMessage { role: "user", content: prompt }])
    }

    fn choose_parent(&mut self, ctx: &ParentChoiceContext) -> Result<Option<ParentChoice>, ProposerError> {
        let ((iteration, reason), usage) = self.converse(
            &parent_choice_system_prompt(ctx),
            vec![ChatMessage { role: "user", content: parent_choice_prompt(ctx) }],
            ("parent_choice", parent_choice_schema()),
            0,
            |reply| parse_parent_choice(reply, ctx),
            parent_retry_prompt,
        )?;
        Ok(Some(ParentChoice { iteration, reason, usage }))
    }

    fn drain_journal(&mut self) -> CallJournal {
        std::mem::take(&mut *self.journal.borrow_mut())
    }

    fn wants_constant_tuning(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_match_longest_prefix_and_unknown_is_null() {
        let mini = cost_usd("gpt-4o-mini-2024-07-18", 1_000_000, 0).unwrap();
        assert!((mini - 0.15).abs() < 1e-12);
        let sonnet = cost_usd("claude-sonnet-4-5-20250929", 1000, 1000).unwrap();
        assert!((sonnet - 0.018).abs() < 1e-12);
        assert_eq!(cost_usd("llama-3.1-8b-instruct", 10, 10), None);
    }

    #[test]
    fn url_credentials_are_redacted() {
        assert_eq!(redact_url("http://u:pw123@host:8080/v1"), "http://[redacted]@host:8080/v1");
        assert_eq!(redact_url("http://host/v1?a=b@c"), "http://host/v1?a=b@c");
        let text = "error sending request for url (http://u:pw123@host:8080/v1/chat/completions)";
        let out = redact_all(text, None, "http://u:pw123@host:8080/v1");
        assert!(!out.contains("pw123"), "{out}");
    }

    #[test]
    fn keys_never_print() {
        let key = ApiKey::new("sk-secret-123456".into());
        assert_eq!(format!("{key:?}"), "ApiKey([redacted])");
        assert_eq!(redact("bad key sk-secret-123456!", Some(&key)), "bad key [redacted]!");
    }

    #[test]
    fn settings_come_from_env_with_explicit_overrides() {
        let env = |name: &str| match name {
            "OPENAI_API_KEY" => Some("k-1234".to_string()),
            "OPENAI_MODEL" => Some("gpt-4o".to_string()),
            "OPENAI_BASE_URL" => Some("http://127.0.0.1:9/v1".to_string()),
            _ => None,
        };
        let s = LlmSettings::from_env(ProviderKind::OpenAiCompatible, Some("qwen".into()), None, env).unwrap();
        assert_eq!(s.model, "qwen");
        assert_eq!(s.base_url, "http://127.0.0.1:9/v1");
        let p = LlmProposer::new(s).unwrap();
        assert_eq!(p.endpoint(), "http://127.0.0.1:9/v1/chat/completions");
        let missing = LlmSettings::from_env(ProviderKind::Anthropic, None, None, |_| None).unwrap_err();
        assert!(missing.to_string().contains("ANTHROPIC_API_KEY"));
    }
}
