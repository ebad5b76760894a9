//! LLM providers against a local HTTP server on 127.0.0.1 that speaks the Anthropic Messages and the
//! OpenAI Chat Completions wire formats: good replies, malformed JSON, prose-wrapped code, 429 then
//! success, timeouts, and keys that must never leak into errors.
//! The server (`loop_http`) is a few lines over `std::net::TcpListener`.

use scorelab::metrics::MetricSet;
use scorelab::optimise::llm::{ApiKey, LlmProposer, LlmSettings, ProviderKind, StructuredOutput};
use scorelab::optimise::proposer::{
    Failure, FailureDetail, FailureKind, ParamInfo, ParentChoiceContext, ParentOption, ProposalContext, Proposer,
    ProposerError, ScriptContract, ScriptTexts,
};
use std::time::Duration;

use crate::loop_http;
use loop_http::{Server, reply};

const KEY: &str = "sk-test-SECRET-0123456789";

fn settings(kind: ProviderKind, base: &str, model: &str) -> LlmSettings {
    LlmSettings {
        kind,
        model: model.into(),
        base_url: base.into(),
        api_key: Some(ApiKey::new(KEY.into())),
        timeout: Duration::from_secs(5),
        max_retries: 3,
        backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(200),
        max_reply_rounds: 3,
        max_tokens: 512,
        temperature: None,
        max_retry_time: Duration::from_secs(30),
        structured: StructuredOutput::Off,
        prompt_budget: 6144,
        edit_format: scorelab::optimise::prompt::EditFormat::Edits,
        directions: false,
        seed: None,
    }
}

fn context() -> ProposalContext {
    let zero = MetricSet { ndcg: 0.1, recall: 0.1, precision: 0.05, ild: 0.6 };
    ProposalContext {
        iteration: 3,
        contract: ScriptContract {
            params: vec![ParamInfo { name: "user_vector".into(), description: "the user's rows".into() }],
            vector_field: "item_vector".into(),
            user_rows: 10,
            dims: 32,
            max_sort_scripts: 2,
            dialect: "es8".into(),
        },
        fields: vec![],
        objective: "ndcg".into(),
        guardrail: "ild".into(),
        baseline: zero,
        parent_iteration: 0,
        parent: ScriptTexts { query: "return 1.0;".into(), sort: vec![] },
        parent_genome: None,
        parent_metrics: Some(zero),
        parent_diagnostics: serde_json::Value::Null,
        best: vec![],
        last_error: None,
        recent_failures: vec![],
        baseline_scripts: None,
        hint: Some("favour recent items".into()),
        seed: 1,
    }
}

const GOOD: &str = r#"{"rationale":"max pooling","query":"return Math.max(0.0, 1.0);","sort":["return _score;"]}"#;

fn anthropic_body(text: &str, input: u64, output: u64) -> String {
    serde_json::json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": input, "output_tokens": output}
    })
    .to_string()
}

fn openai_body(text: &str, prompt: u64, completion: u64) -> String {
    serde_json::json!({
        "id": "chatcmpl-1", "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    })
    .to_string()
}

#[test]
fn anthropic_good_reply_speaks_the_messages_api() {
    let mut server = Server::start(vec![reply(200, anthropic_body(GOOD, 1000, 200))]);
    let mut p = LlmProposer::new(settings(ProviderKind::Anthropic, &server.base, "claude-sonnet-4-5")).unwrap();
    let out = p.propose(&context()).unwrap();
    assert_eq!(out.proposal.query, "return Math.max(0.0, 1.0);\n");
    assert_eq!(out.proposal.sort, vec!["return _score;\n"]);
    assert_eq!((out.usage.input_tokens, out.usage.output_tokens), (1000, 200));
    let cost = out.usage.cost_usd.unwrap();
    assert!((cost - (1000.0 * 3.0 + 200.0 * 15.0) / 1e6).abs() < 1e-12);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.path, "/v1/messages");
    assert_eq!(r.header("x-api-key"), Some(KEY));
    assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
    assert!(r.header("authorization").is_none());
    assert_eq!(r.body["model"], "claude-sonnet-4-5");
    assert!(r.body["system"].as_str().unwrap().contains("must return a double >= 0"));
    assert!(r.body.get("tools").is_none(), "structured output off: plain text");
    assert_eq!(r.body["messages"][0]["role"], "user");
    assert_eq!(r.body["messages"][0]["content"][0]["type"], "text");
    assert!(r.body["messages"][0]["content"][0]["text"].as_str().unwrap().contains("favour recent items"));
}

#[test]
fn openai_good_reply_speaks_chat_completions() {
    let mut server = Server::start(vec![reply(200, openai_body(GOOD, 900, 100))]);
    let mut p = LlmProposer::new(settings(ProviderKind::OpenAi, &server.base, "gpt-4o-mini")).unwrap();
    let out = p.propose(&context()).unwrap();
    assert_eq!(out.proposal.rationale, "max pooling");
    assert_eq!((out.usage.input_tokens, out.usage.output_tokens), (900, 100));
    assert!(out.usage.cost_usd.is_some());
    let reqs = server.requests();
    assert_eq!(reqs[0].path, "/v1/chat/completions");
    assert_eq!(reqs[0].header("authorization"), Some(format!("Bearer {KEY}").as_str()));
    assert_eq!(reqs[0].body["messages"][0]["role"], "system");
    assert_eq!(reqs[0].body["messages"][1]["role"], "user");
}

#[test]
fn structured_output_is_requested_in_each_provider_s_own_form() {
    // OpenAI: response_format json_schema.
    let mut server = Server::start(vec![reply(200, openai_body(GOOD, 9, 9))]);
    let mut s = settings(ProviderKind::OpenAi, &server.base, "gpt-4o-mini");
    s.structured = StructuredOutput::parse("auto", ProviderKind::OpenAi).unwrap();
    s.temperature = Some(0.3);
    LlmProposer::new(s).unwrap().propose(&context()).unwrap();
    let body = &server.requests()[0].body;
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(body["response_format"]["json_schema"]["schema"]["required"][0], "rationale");
    assert!(body["response_format"]["json_schema"]["schema"]["properties"]["edits"].is_object());
    assert_eq!(body["temperature"], 0.3);
    // OpenAI-compatible (llama.cpp, llama-cpp-python): json_object with the schema beside it.
    let mut server = Server::start(vec![reply(200, openai_body(GOOD, 9, 9))]);
    let mut s = settings(ProviderKind::OpenAiCompatible, &server.base, "qwen");
    s.structured = StructuredOutput::parse("auto", ProviderKind::OpenAiCompatible).unwrap();
    LlmProposer::new(s).unwrap().propose(&context()).unwrap();
    let body = &server.requests()[0].body;
    assert_eq!(body["response_format"]["type"], "json_object");
    assert_eq!(body["response_format"]["schema"]["type"], "object");
    // Anthropic: a forced tool call; the reply is the tool's input.
    let tool_reply = serde_json::json!({
        "content": [{"type": "tool_use", "id": "t1", "name": "candidate",
            "input": {"rationale": "edit", "edits": [{"script": "query", "search": "1.0", "replace": "2.0"}]}}],
        "usage": {"input_tokens": 5, "output_tokens": 5}
    });
    let mut server = Server::start(vec![reply(200, tool_reply.to_string())]);
    let mut s = settings(ProviderKind::Anthropic, &server.base, "claude-sonnet-4-5");
    s.structured = StructuredOutput::parse("auto", ProviderKind::Anthropic).unwrap();
    let out = LlmProposer::new(s).unwrap().propose(&context()).unwrap();
    assert_eq!(out.proposal.query, "return 2.0;\n", "the edit applied to the parent `return 1.0;`");
    let body = &server.requests()[0].body;
    assert_eq!(body["tool_choice"]["name"], "candidate");
    assert_eq!(body["tools"][0]["input_schema"]["type"], "object");
}

#[test]
fn retries_stop_at_the_total_retry_time() {
    // Nothing listens on port 9: every try fails at once, and the backoff would go on for minutes.
    let mut s = settings(ProviderKind::OpenAi, "http://127.0.0.1:9", "gpt-4o");
    s.max_retries = 50;
    s.backoff = Duration::from_millis(400);
    s.max_backoff = Duration::from_secs(5);
    s.max_retry_time = Duration::from_secs(1);
    let started = std::time::Instant::now();
    let err = LlmProposer::new(s).unwrap().propose(&context()).unwrap_err();
    assert!(matches!(err, ProposerError::RetryTimeExhausted { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
}

#[test]
fn openai_compatible_server_without_key_and_unknown_price() {
    let mut server = Server::start(vec![reply(200, openai_body(GOOD, 50, 20))]);
    let mut s = settings(ProviderKind::OpenAiCompatible, &format!("{}/v1/", server.base), "qwen2.5-coder:7b");
    s.api_key = None;
    let mut p = LlmProposer::new(s).unwrap();
    let out = p.propose(&context()).unwrap();
    assert_eq!(out.usage.cost_usd, None, "a local model has no listed price");
    let reqs = server.requests();
    assert_eq!(reqs[0].path, "/v1/chat/completions");
    assert!(reqs[0].header("authorization").is_none());
}

#[test]
fn malformed_json_gets_a_retry_prompt_and_usage_adds_up() {
    let mut server = Server::start(vec![
        reply(200, anthropic_body(r#"{"rationale": "x", "query": "return 1.0;""#, 100, 10)),
        reply(200, anthropic_body(GOOD, 150, 20)),
    ]);
    let mut p = LlmProposer::new(settings(ProviderKind::Anthropic, &server.base, "claude-3-5-haiku-latest")).unwrap();
    let out = p.propose(&context()).unwrap();
    assert_eq!(out.proposal.query, "return Math.max(0.0, 1.0);\n");
    assert_eq!((out.usage.input_tokens, out.usage.output_tokens), (250, 30));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let msgs = reqs[1].body["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 3);
    assert_eq!(msgs[1]["role"], "assistant");
    let retry = msgs[2]["content"][0]["text"].as_str().unwrap();
    assert!(retry.contains("could not be used") && retry.contains("malformed"), "{retry}");
}

/// The shape of a real Qwen2.5-Coder-1.5B reply (evolutionary run, iteration 4): a JSON reply, then
/// "```" lines until the token limit. The loop is cut off before reading (so it is not read as
/// hundreds of fenced sort scripts), the model is told which line it repeated, the allowance is not
/// doubled (more room only repeats the line longer), and a usable reply before the loop is taken.
/// The run's seed goes to OpenAI-style servers as the sampling seed (llama.cpp honours it, so a run on
/// one server build repeats); Anthropic's API takes none and gets none.
#[test]
fn the_run_seed_is_sent_as_the_sampling_seed_where_the_api_takes_one() {
    let whole = r#"{"rationale": "double it", "query": "return 2.0;"}"#;
    let mut server = Server::start(vec![reply(200, openai_body(whole, 100, 10))]);
    let mut s = settings(ProviderKind::OpenAiCompatible, &server.base, "qwen");
    s.seed = Some(42);
    LlmProposer::new(s).unwrap().propose(&context()).unwrap();
    assert_eq!(server.requests()[0].body["seed"], 42);
    let mut server = Server::start(vec![reply(200, anthropic_body(GOOD, 100, 10))]);
    let mut s = settings(ProviderKind::Anthropic, &server.base, "claude-3-5-haiku-latest");
    s.seed = Some(42);
    LlmProposer::new(s).unwrap().propose(&context()).unwrap();
    assert!(server.requests()[0].body.get("seed").is_none());
}

#[test]
fn a_reply_that_loops_on_one_line_is_read_without_the_loop_and_gets_no_more_room() {
    let looping = format!("{{\"rationale\": \"x\", \"query\": \"return 2.0;\"}}\n{}``", "```\n".repeat(120));
    let broken = format!("{{\"rationale\": \"x\", \"query\": \"return 2.0;\n{}", "```\n".repeat(120));
    let whole = r#"{"rationale": "double it", "query": "return 2.0;"}"#;
    let mut server =
        Server::start(vec![reply(200, openai_body(&broken, 100, 50)), reply(200, openai_body(whole, 120, 10))]);
    let mut s = settings(ProviderKind::OpenAiCompatible, &server.base, "qwen");
    s.max_tokens = 50;
    let out = LlmProposer::new(s.clone()).unwrap().propose(&context()).unwrap();
    assert_eq!(out.proposal.query, "return 2.0;\n");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].body["max_tokens"], reqs[0].body["max_tokens"], "no more room for a looping reply");
    let msgs = reqs[1].body["messages"].as_array().unwrap();
    let echoed = msgs[msgs.len() - 2]["content"].as_str().unwrap();
    assert!(!echoed.contains("```"), "the loop is not sent back: {echoed}");
    let retry = msgs.last().unwrap()["content"].as_str().unwrap();
    assert!(retry.contains(r#"repeated the line "```" 120 times"#), "{retry}");
    assert!(!retry.contains("sort scripts"), "{retry}");

    // A reply that is usable once the loop is cut off is taken at once.
    let mut server = Server::start(vec![reply(200, openai_body(&looping, 100, 50))]);
    let mut p = LlmProposer::new(settings(ProviderKind::OpenAiCompatible, &server.base, "qwen")).unwrap();
    assert_eq!(p.propose(&context()).unwrap().proposal.query, "return 2.0;\n");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_search_miss_is_retried_as_a_whole_script_with_the_schema_enforcing_it() {
    // The shape of the real Qwen2.5-Coder-1.5B misses: SEARCH holds the line as the model meant to write it.
    let miss = r#"{"rationale": "double it", "edits": [{"script": "query", "search": "return 2.0;", "replace": "return 2.0;"}]}"#;
    let whole = r#"{"rationale": "double it", "query": "return 2.0;"}"#;
    let mut server =
        Server::start(vec![reply(200, openai_body(miss, 100, 10)), reply(200, openai_body(whole, 120, 10))]);
    let mut s = settings(ProviderKind::OpenAiCompatible, &server.base, "qwen");
    s.structured = StructuredOutput::parse("auto", ProviderKind::OpenAiCompatible).unwrap();
    let out = LlmProposer::new(s).unwrap().propose(&context()).unwrap();
    assert_eq!(out.proposal.query, "return 2.0;\n");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    // First request: edits allowed. Retry: the schema requires "query" and has no "edits".
    assert!(reqs[0].body["response_format"]["schema"]["properties"]["edits"].is_object());
    let retry_schema = &reqs[1].body["response_format"]["schema"];
    assert!(retry_schema["properties"]["edits"].is_null(), "{retry_schema}");
    assert_eq!(retry_schema["required"], serde_json::json!(["rationale", "query"]));
    assert_eq!(retry_schema["additionalProperties"], false, "llama.cpp's grammar lets unlisted keys through otherwise");
    let msgs = reqs[1].body["messages"].as_array().unwrap();
    let retry = msgs.last().unwrap()["content"].as_str().unwrap();
    assert!(retry.contains("does not match") && retry.contains("Do not send edits"), "{retry}");
    // The reply allowance covers the whole script even when --reply-max-tokens was sized for edits.
    assert_eq!(reqs[0].body["max_tokens"], 512);
    assert_eq!(reqs[1].body["max_tokens"], 512);
    let mut server =
        Server::start(vec![reply(200, openai_body(miss, 100, 10)), reply(200, openai_body(whole, 120, 10))]);
    let mut s = settings(ProviderKind::OpenAiCompatible, &server.base, "qwen");
    s.max_tokens = 50;
    LlmProposer::new(s).unwrap().propose(&context()).unwrap();
    let reqs = server.requests();
    assert_eq!(reqs[0].body["max_tokens"], 50);
    assert!(reqs[1].body["max_tokens"].as_u64().unwrap() > 200, "{}", reqs[1].body["max_tokens"]);
}

#[test]
fn whole_edit_format_asks_for_whole_scripts_from_the_first_request() {
    let whole = r#"{"rationale": "double it", "query": "return 2.0;"}"#;
    let mut server = Server::start(vec![reply(200, openai_body(whole, 120, 10))]);
    let mut s = settings(ProviderKind::OpenAiCompatible, &server.base, "qwen");
    s.structured = StructuredOutput::parse("auto", ProviderKind::OpenAiCompatible).unwrap();
    s.edit_format = scorelab::optimise::prompt::EditFormat::Whole;
    s.max_tokens = 50;
    let ctx = context();
    let out = LlmProposer::new(s).unwrap().propose(&ctx).unwrap();
    assert_eq!(out.proposal.query, "return 2.0;\n");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let schema = &reqs[0].body["response_format"]["schema"];
    assert!(schema["properties"]["edits"].is_null(), "{schema}");
    assert_eq!(schema["required"], serde_json::json!(["rationale", "query"]));
    // Room for the whole script even though --reply-max-tokens was sized for edits.
    assert!(reqs[0].body["max_tokens"].as_u64().unwrap() > 200, "{}", reqs[0].body["max_tokens"]);
    let msgs = reqs[0].body["messages"].as_array().unwrap();
    let user = msgs.last().unwrap()["content"].as_str().unwrap();
    let first_line = ctx.parent.query.lines().next().unwrap();
    assert!(user.contains(&format!("query:\n{first_line}\n")), "the parent without line numbers:\n{user}");
    let system = msgs[0]["content"].as_str().unwrap();
    assert!(!system.contains("\"search\""), "no edit example:\n{system}");
}

#[test]
fn prose_wrapped_code_is_accepted() {
    let text = format!("Here is a better idea.\n\n```json\n{GOOD}\n```\n\nLet me know how it scores!");
    let mut server = Server::start(vec![reply(200, openai_body(&text, 10, 10))]);
    let mut p = LlmProposer::new(settings(ProviderKind::OpenAi, &server.base, "gpt-4.1")).unwrap();
    let out = p.propose(&context()).unwrap();
    assert_eq!(out.proposal.sort, vec!["return _score;\n"]);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn missing_fields_exhaust_reply_rounds_with_a_clear_error() {
    let bad = anthropic_body(r#"{"rationale": "forgot the script"}"#, 10, 5);
    let mut server = Server::start(vec![reply(200, bad.clone()), reply(200, bad.clone()), reply(200, bad)]);
    let mut p = LlmProposer::new(settings(ProviderKind::Anthropic, &server.base, "claude-sonnet-4-5")).unwrap();
    let err = p.propose(&context()).unwrap_err();
    assert!(matches!(err, ProposerError::Unparseable { attempts: 3, .. }), "{err}");
    assert!(err.to_string().contains("no \"query\" field"));
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn rate_limit_then_success_honours_retry_after() {
    let mut limited = reply(429, r#"{"error":{"type":"rate_limit_error"}}"#.into());
    limited.headers.push(("retry-after", "0".into()));
    let mut server = Server::start(vec![
        limited,
        reply(503, r#"{"error":"overloaded"}"#.into()),
        reply(200, anthropic_body(GOOD, 10, 10)),
    ]);
    let mut p = LlmProposer::new(settings(ProviderKind::Anthropic, &server.base, "claude-sonnet-4-5")).unwrap();
    let out = p.propose(&context()).unwrap();
    assert_eq!(out.proposal.rationale, "max pooling");
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn retries_run_out_on_persistent_server_errors() {
    let mut server = Server::start((0..3).map(|_| reply(500, r#"{"error":"boom"}"#.into())).collect());
    let mut s = settings(ProviderKind::OpenAi, &server.base, "gpt-4o");
    s.max_retries = 2;
    let mut p = LlmProposer::new(s).unwrap();
    let err = p.propose(&context()).unwrap_err();
    assert!(matches!(err, ProposerError::Status { status: 500, .. }), "{err}");
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn a_timeout_is_retried_and_then_reported() {
    let mut slow = reply(200, openai_body(GOOD, 1, 1));
    slow.delay = Duration::from_millis(1500);
    let mut server = Server::start(vec![slow, reply(200, openai_body(GOOD, 1, 1))]);
    let mut s = settings(ProviderKind::OpenAi, &server.base, "gpt-4o");
    s.timeout = Duration::from_millis(300);
    let mut p = LlmProposer::new(s).unwrap();
    assert!(p.propose(&context()).is_ok(), "the retry after the timeout succeeds");
    assert_eq!(server.requests().len(), 2);

    let mut slow = reply(200, openai_body(GOOD, 1, 1));
    slow.delay = Duration::from_millis(1500);
    let mut server = Server::start(vec![slow]);
    let mut s = settings(ProviderKind::OpenAi, &server.base, "gpt-4o");
    s.timeout = Duration::from_millis(300);
    s.max_retries = 0;
    let mut p = LlmProposer::new(s).unwrap();
    let err = p.propose(&context()).unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    server.requests();
}

#[test]
fn the_key_never_appears_in_errors() {
    let echo = format!(r#"{{"error":{{"message":"Incorrect API key provided: {KEY}"}}}}"#);
    let mut server = Server::start(vec![reply(401, echo)]);
    let mut p = LlmProposer::new(settings(ProviderKind::OpenAi, &server.base, "gpt-4o")).unwrap();
    let err = p.propose(&context()).unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(matches!(err, ProposerError::Status { status: 401, .. }));
    assert!(!text.contains(KEY), "{text}");
    assert!(text.contains("[redacted]"));
    assert_eq!(server.requests().len(), 1, "401 is not retried");
    assert!(!format!("{:?}", settings(ProviderKind::OpenAi, "x", "y")).contains(KEY));
}

#[test]
fn fix_quotes_the_failing_line_with_a_caret_the_help_and_the_item() {
    let mut server = Server::start(vec![reply(200, anthropic_body(GOOD, 10, 10))]);
    let mut p = LlmProposer::new(settings(ProviderKind::Anthropic, &server.base, "claude-sonnet-4-5")).unwrap();
    let broken = scorelab::optimise::Proposal {
        rationale: "decade weight".into(),
        query: "double d = Double.parseDouble(doc['decade'].value);\nreturn d;\n".into(),
        sort: vec![],
        genome: None,
    };
    let failure = Failure {
        kind: FailureKind::Runtime,
        error: serde_json::json!({"type": "script_exception", "reason": "runtime error",
            "caused_by": {"type": "number_format_exception", "reason": "For input string: \"1990s\""}}),
        detail: Some(FailureDetail {
            kind: FailureKind::Runtime,
            script: "query".into(),
            span: Some((11, 50)),
            message: "number_format_exception: For input string: \"1990s\"".into(),
            help: Some("decade is a keyword field: compare it as a String".into()),
            item: Some("m42".into()),
            field_values: vec![("decade".into(), "\"1990s\"".into())],
            warnings: vec!["unknown field [decad]".into()],
        }),
    };
    let out = p.fix(&context(), &broken, &failure, 2).unwrap();
    assert_eq!(out.proposal.query, "return Math.max(0.0, 1.0);\n");
    let reqs = server.requests();
    let msgs = reqs[0].body["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 1, "a fix is its own short conversation");
    let last = msgs[0]["content"][0]["text"].as_str().unwrap();
    for wanted in [
        "Fix attempt 2",
        "fails while scoring items",
        format!("  1| double d = Double.parseDouble(doc['decade'].value);\n{}^", " ".repeat(5 + 11)).as_str(),
        "For input string: \"1990s\"",
        "item m42, whose fields are: decade = \"1990s\"",
        "Help: decade is a keyword field",
        "Warning: unknown field [decad]",
    ] {
        assert!(last.contains(wanted), "missing {wanted:?} in:\n{last}");
    }
}

fn parent_context() -> ParentChoiceContext {
    let m = |ndcg: f64| MetricSet { ndcg, recall: 0.1, precision: 0.05, ild: 0.6 };
    let option = |iteration: u32, ndcg: f64, picks: u32| ParentOption {
        iteration,
        status: if iteration == 0 { "baseline".into() } else { "accepted".into() },
        rationale: format!("candidate {iteration}"),
        metrics: Some(m(ndcg)),
        picks,
        weighted_primary: ndcg * (1.0 - 0.03 * picks as f64),
    };
    ParentChoiceContext {
        iteration: 7,
        objective: "ndcg".into(),
        guardrail: "ild".into(),
        baseline: m(0.1),
        options: vec![option(4, 0.14, 1), option(6, 0.13, 0), option(0, 0.1, 5)],
        hint: Some("try recency".into()),
    }
}

#[test]
fn evolutionary_parent_choice_is_asked_of_the_model() {
    let text = "I would branch from the fresher line.\n```json\n{\"parent\": 6, \"reason\": \"never edited yet\"}\n```";
    let mut server = Server::start(vec![reply(200, anthropic_body(text, 300, 30))]);
    let mut p = LlmProposer::new(settings(ProviderKind::Anthropic, &server.base, "claude-sonnet-4-5")).unwrap();
    let choice = p.choose_parent(&parent_context()).unwrap().expect("an LLM picks its own parent");
    assert_eq!(choice.iteration, 6);
    assert_eq!(choice.reason, "never edited yet");
    assert_eq!((choice.usage.input_tokens, choice.usage.output_tokens), (300, 30));
    let reqs = server.requests();
    let prompt = reqs[0].body["messages"][0]["content"][0]["text"].as_str().unwrap();
    for needle in
        ["iteration 4 (accepted; picked 1 times", "iteration 6", "iteration 0 (baseline; picked 5 times", "try recency"]
    {
        assert!(prompt.contains(needle), "{needle} missing from {prompt}");
    }
    assert!(reqs[0].body["system"].as_str().unwrap().contains("\"parent\""));
}

#[test]
fn a_parent_outside_the_options_gets_a_retry_prompt() {
    let mut server = Server::start(vec![
        reply(200, openai_body(r#"{"parent": 5, "reason": "x"}"#, 10, 5)),
        reply(200, openai_body(r#"{"parent": "4", "reason": "best so far"}"#, 12, 6)),
    ]);
    let mut p = LlmProposer::new(settings(ProviderKind::OpenAi, &server.base, "gpt-4o-mini")).unwrap();
    let choice = p.choose_parent(&parent_context()).unwrap().unwrap();
    assert_eq!(choice.iteration, 4);
    assert_eq!((choice.usage.input_tokens, choice.usage.output_tokens), (22, 11));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let msgs = reqs[1].body["messages"].as_array().unwrap();
    let retry = msgs.last().unwrap()["content"].as_str().unwrap();
    assert!(retry.contains("iteration 5 is not one of the options (4, 6, 0)"), "{retry}");
}
