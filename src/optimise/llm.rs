//! LLM proposers over reqwest (blocking): the Anthropic Messages API, OpenAI Chat Completions and any
//! OpenAI-compatible server (llama.cpp, Ollama, vLLM) reached through a base URL. Retries with
//! exponential backoff on 429/5xx and transport errors (honouring `retry-after`), a per-request
//! timeout, a bounded number of "your reply was unusable" rounds, and token/cost accounting.
//! The API key is held in [`ApiKey`], whose `Debug` is redacted, and every error text is passed
//! through [`redact`] before it can reach a log, a snapshot or a report.

use super::prompt::{
    ReplyProblem, fix_prompt, parent_choice_prompt, parent_choice_system_prompt, parent_retry_prompt,
    parse_parent_choice, parse_reply, retry_prompt, system_prompt, user_prompt,
};
use super::proposer::{
    ParentChoice, ParentChoiceContext, Proposal, ProposalContext, Proposed, Proposer, ProposerError, Usage,
};
use std::time::Duration;

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
    pub max_tokens: u32,
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
            timeout: Duration::from_secs(120),
            max_retries: 4,
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            max_reply_rounds: 3,
            max_tokens: 4096,
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
}

impl LlmProposer {
    pub fn new(settings: LlmSettings) -> Result<LlmProposer, ProposerError> {
        let client = reqwest::blocking::Client::builder().timeout(settings.timeout).build().map_err(|e| {
            ProposerError::Transport {
                provider: settings.kind.as_str().into(),
                url: settings.base_url.clone(),
                message: e.to_string(),
            }
        })?;
        Ok(LlmProposer { settings, client })
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

    fn body(&self, system: &str, messages: &[ChatMessage]) -> serde_json::Value {
        match self.settings.kind {
            ProviderKind::Anthropic => serde_json::json!({
                "model": self.settings.model,
                "max_tokens": self.settings.max_tokens,
                "system": system,
                "messages": messages.iter().map(|m| serde_json::json!({
                    "role": m.role,
                    "content": [{"type": "text", "text": m.content}],
                })).collect::<Vec<_>>(),
            }),
            ProviderKind::OpenAi | ProviderKind::OpenAiCompatible => {
                let mut all = vec![serde_json::json!({"role": "system", "content": system})];
                all.extend(messages.iter().map(|m| serde_json::json!({"role": m.role, "content": m.content})));
                serde_json::json!({
                    "model": self.settings.model,
                    "max_tokens": self.settings.max_tokens,
                    "messages": all,
                })
            }
        }
    }

    fn err_transport(&self, url: &str, message: String) -> ProposerError {
        ProposerError::Transport {
            provider: self.settings.kind.as_str().into(),
            url: url.into(),
            message: redact(&message, self.settings.api_key.as_ref()),
        }
    }

    /// One chat completion with retries; returns the reply text and its usage.
    pub fn complete(&self, system: &str, messages: &[ChatMessage]) -> Result<(String, Usage), ProposerError> {
        let url = self.endpoint();
        let body = self.body(system, messages);
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
                        return Err(self.err_transport(&url, message));
                    }
                    tracing::warn!(
                        "{}: {} (retrying)",
                        self.settings.kind.as_str(),
                        redact(&message, self.settings.api_key.as_ref())
                    );
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
                    let text = response.text().map_err(|e| self.err_transport(&url, e.to_string()))?;
                    if status.is_success() {
                        return self.read_reply(&url, &text);
                    }
                    let retryable = status.as_u16() == 429 || status.is_server_error();
                    if !retryable || attempt >= self.settings.max_retries {
                        return Err(ProposerError::Status {
                            provider: self.settings.kind.as_str().into(),
                            url,
                            status: status.as_u16(),
                            body: redact(&super::prompt::truncate(&text, 500), self.settings.api_key.as_ref()),
                        });
                    }
                    retry_after
                }
            };
            let pause = retryable_wait.unwrap_or(wait).min(self.settings.max_backoff);
            std::thread::sleep(pause);
            wait = (wait * 2).min(self.settings.max_backoff);
            attempt += 1;
        }
    }

    fn read_reply(&self, url: &str, text: &str) -> Result<(String, Usage), ProposerError> {
        let bad = |what: &str| ProposerError::Transport {
            provider: self.settings.kind.as_str().into(),
            url: url.into(),
            message: format!(
                "unexpected response body ({what}): {}",
                redact(&super::prompt::truncate(text, 300), self.settings.api_key.as_ref())
            ),
        };
        let value: serde_json::Value = serde_json::from_str(text).map_err(|_| bad("not JSON"))?;
        let (reply, input, output) = match self.settings.kind {
            ProviderKind::Anthropic => {
                let blocks = value.get("content").and_then(|c| c.as_array()).ok_or_else(|| bad("no content"))?;
                let reply: String = blocks
                    .iter()
                    .filter(|b| b.get("type").and_then(|t| t.as_str()) == Some("text"))
                    .filter_map(|b| b.get("text").and_then(|t| t.as_str()))
                    .collect::<Vec<_>>()
                    .join("\n");
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
        parse: impl Fn(&str) -> Result<T, ReplyProblem>,
        retry: impl Fn(&ReplyProblem) -> String,
    ) -> Result<(T, Usage), ProposerError> {
        let mut usage = Usage::default();
        let mut last_problem = String::new();
        for _ in 0..self.settings.max_reply_rounds.max(1) {
            let (reply, u) = self.complete(system, &messages)?;
            usage.add(u);
            match parse(&reply) {
                Ok(value) => return Ok((value, usage)),
                Err(problem) => {
                    tracing::warn!("{}: unusable reply: {}", self.name(), problem.0);
                    messages.push(ChatMessage { role: "assistant", content: reply });
                    messages.push(ChatMessage { role: "user", content: retry(&problem) });
                    last_problem = problem.0;
                }
            }
        }
        Err(ProposerError::Unparseable {
            provider: self.name(),
            attempts: self.settings.max_reply_rounds.max(1),
            problem: redact(&last_problem, self.settings.api_key.as_ref()),
        })
    }

    /// A conversation that must end in a usable proposal.
    fn converse_proposal(&self, ctx: &ProposalContext, messages: Vec<ChatMessage>) -> Result<Proposed, ProposerError> {
        let max_sorts = ctx.contract.max_sort_scripts;
        let (proposal, usage) =
            self.converse(&system_prompt(ctx), messages, |reply| parse_reply(reply, max_sorts), retry_prompt)?;
        Ok(Proposed { proposal, usage })
    }
}

impl Proposer for LlmProposer {
    fn name(&self) -> String {
        format!("{}:{}", self.settings.kind.as_str(), self.settings.model)
    }

    fn propose(&mut self, ctx: &ProposalContext) -> Result<Proposed, ProposerError> {
        self.converse_proposal(ctx, vec![ChatMessage { role: "user", content: user_prompt(ctx) }])
    }

    fn fix(
        &mut self,
        ctx: &ProposalContext,
        broken: &Proposal,
        error: &serde_json::Value,
        attempt: u32,
    ) -> Result<Proposed, ProposerError> {
        let previous = serde_json::json!({"rationale": broken.rationale, "query": broken.query, "sort": broken.sort});
        self.converse_proposal(
            ctx,
            vec![
                ChatMessage { role: "user", content: user_prompt(ctx) },
                ChatMessage { role: "assistant", content: previous.to_string() },
                ChatMessage { role: "user", content: fix_prompt(broken, error, attempt) },
            ],
        )
    }

    fn choose_parent(&mut self, ctx: &ParentChoiceContext) -> Result<Option<ParentChoice>, ProposerError> {
        let ((iteration, reason), usage) = self.converse(
            &parent_choice_system_prompt(ctx),
            vec![ChatMessage { role: "user", content: parent_choice_prompt(ctx) }],
            |reply| parse_parent_choice(reply, ctx),
            parent_retry_prompt,
        )?;
        Ok(Some(ParentChoice { iteration, reason, usage }))
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
