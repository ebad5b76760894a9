//! What a proposer sees and what it returns. The context is built by the loop from the run's own
//! records; it never holds ground truth, the cohort or the metric code, so the only way a proposer can
//! win is a better script set.

use crate::data::FieldKind;
use crate::store::{FieldStats, ItemIdx, Store};
use serde::{Deserialize, Serialize};

/// The rules every candidate must follow, written out for the proposer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScriptContract {
    /// Harness params every script receives, with a one-line description each (`user_vector`, `now`).
    pub params: Vec<ParamInfo>,
    /// The dense-vector field scripts pass to `cosineSimilarity` / `dotProduct`.
    pub vector_field: String,
    /// Number of rows of `params.user_vector` (the user's interaction-derived matrix).
    pub user_rows: usize,
    /// Vector dimensionality.
    pub dims: usize,
    /// At most this many `_script` sort scripts.
    pub max_sort_scripts: usize,
    /// The vector-function dialect (`es8`: `cosineSimilarity(params.x, 'field')`).
    pub dialect: String,
}

impl ScriptContract {
    /// The contract for scripts over `store`: `user_vector` (its shape spelled out) and the harness
    /// params (with `now` explained), the vector field, at most `max_sorts` sort scripts.
    pub fn for_store(
        store: &Store,
        harness: &serde_json::Map<String, serde_json::Value>,
        max_sorts: usize,
        dialect: &str,
    ) -> ScriptContract {
        let (rows, dims) = (store.user_rows(), store.dims());
        let mut params = vec![ParamInfo {
            name: "user_vector".into(),
            description: format!(
                "the user's {rows} x {dims} matrix (List of {rows} rows, each a List of {dims} doubles) built from their history"
            ),
        }];
        // The store's own timestamp fields, found from their values (never from their names).
        let timestamps: Vec<String> = store
            .field_stats()
            .iter()
            .filter_map(|f| {
                let unit = match f.epoch_unit()? {
                    crate::store::EpochUnit::Seconds => "seconds",
                    crate::store::EpochUnit::Millis => "milliseconds",
                };
                Some(format!("{} (epoch {unit})", f.name))
            })
            .collect();
        for (name, value) in harness {
            let description = if name == "now" {
                let compare = if timestamps.is_empty() {
                    "no field of this store holds a timestamp".to_string()
                } else {
                    format!("compare with the timestamp fields: {}", timestamps.join(", "))
                };
                format!("the present as epoch seconds (long), {value}; {compare}")
            } else {
                format!("harness param, value {value}")
            };
            params.push(ParamInfo { name: name.clone(), description });
        }
        ScriptContract {
            params,
            vector_field: store.schema().vector_field().name.clone(),
            user_rows: rows,
            dims,
            max_sort_scripts: max_sorts,
            dialect: dialect.into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParamInfo {
    pub name: String,
    pub description: String,
}

/// One stored field of the items, as scripts can read it through `doc['name']`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldInfo {
    pub name: String,
    /// `long`, `double`, `keyword` or `dense_vector`.
    pub kind: String,
    /// True when some items have several values (genres).
    pub multi_valued: bool,
    /// True when some items have no value (scripts must guard with `doc['x'].size() == 0`).
    pub may_be_missing: bool,
    /// Two or three values as scripts see them (`"1990s"`, `1995`), so a model does not read a
    /// keyword as a number.
    #[serde(default)]
    pub examples: Vec<String>,
    /// The distribution import measured (what the built-in optimiser derives its signals from); None
    /// when the context was built without a store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<FieldStats>,
}

impl FieldInfo {
    /// Every non-vector field of `store`, as the proposer is told about it.
    pub fn of_store(store: &Store) -> Vec<FieldInfo> {
        let vector = &store.schema().vector_field().name;
        store
            .schema()
            .fields()
            .iter()
            .filter(|f| &f.name != vector)
            .map(|f| FieldInfo {
                name: f.name.clone(),
                kind: match f.kind {
                    FieldKind::Keyword => "keyword",
                    FieldKind::Long => "long",
                    FieldKind::Double => "double",
                    FieldKind::Date => "date",
                    FieldKind::Vector { .. } => "dense_vector",
                }
                .into(),
                multi_valued: f.multi_valued,
                may_be_missing: store
                    .column(&f.name)
                    .is_some_and(|c| (0..store.num_items() as u32).any(|i| c.len(ItemIdx(i)) == 0)),
                examples: example_values(store, &f.name, 3),
                stats: store.field_stat(&f.name).cloned(),
            })
            .collect()
    }
}

/// Up to `n` distinct values of field `name`, in catalogue order, written as Painless literals
/// (keywords quoted), from the first items that have one.
pub fn example_values(store: &Store, name: &str, n: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in 0..store.num_items() as u32 {
        for v in field_values(store, name, ItemIdx(i)) {
            if !out.contains(&v) {
                out.push(v);
            }
        }
        if out.len() >= n {
            break;
        }
    }
    out.truncate(n);
    out
}

/// The values of field `name` on one item, as Painless literals (empty when the item has none).
pub fn field_values(store: &Store, name: &str, item: ItemIdx) -> Vec<String> {
    use crate::store::Column;
    match store.column(name) {
        Some(Column::Long(c)) => c.values(item).iter().map(|v| v.to_string()).collect(),
        Some(Column::Double(c)) => c.values(item).iter().map(|v| format!("{v:?}")).collect(),
        Some(Column::Keyword(c)) => c.terms(item).map(|t| format!("{t:?}")).collect(),
        // A date doc value is a ZonedDateTime, shown as Java prints it (not a literal).
        Some(Column::Date(c)) => c
            .values(item)
            .iter()
            .map(|&ms| {
                crate::data::dates::zoned_to_string(crate::data::dates::Instant::of_epoch_milli(ms))
                    .unwrap_or_else(|| format!("{ms} ms"))
            })
            .collect(),
        None => Vec::new(),
    }
}

/// A script set: one query script and zero or more sort scripts (sorted descending by value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScriptTexts {
    pub query: String,
    #[serde(default)]
    pub sort: Vec<String>,
}

impl ScriptTexts {
    /// The sources of a script set read from disk.
    pub fn of_set(set: &crate::rank::ScriptSet) -> ScriptTexts {
        ScriptTexts {
            query: set.query.source.clone(),
            sort: set.sorts.iter().map(|s| s.script.source.clone()).collect(),
        }
    }
}

/// The four metrics of one evaluated candidate.
pub use crate::metrics::MetricSet;

/// One past iteration as the proposer sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub iteration: u32,
    pub parent: Option<u32>,
    pub status: String,
    pub rationale: String,
    pub metrics: Option<MetricSet>,
}

/// One failed iteration as the proposer sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FailureNote {
    pub iteration: u32,
    pub status: String,
    pub reason: String,
}

/// Everything a proposer is given for one iteration.
#[derive(Debug, Clone, Serialize)]
pub struct ProposalContext {
    pub iteration: u32,
    pub contract: ScriptContract,
    pub fields: Vec<FieldInfo>,
    /// Primary metric name (`ndcg` or `ild`); the other one is the guardrail.
    pub objective: String,
    pub guardrail: String,
    pub baseline: MetricSet,
    /// The script set to edit, its iteration number and, for the built-in optimiser, its genome.
    pub parent_iteration: u32,
    pub parent: ScriptTexts,
    pub parent_genome: Option<serde_json::Value>,
    pub parent_metrics: Option<MetricSet>,
    /// The parent's diagnostics (coverage, popularity bias, collapse...), as recorded.
    pub parent_diagnostics: serde_json::Value,
    /// The best iterations so far, best first.
    pub best: Vec<HistoryEntry>,
    /// The most recent compile or runtime error of the run, ES-shaped.
    pub last_error: Option<serde_json::Value>,
    /// The last few iterations that produced nothing usable, each with the one-line reason of its own
    /// failure (so the model is never shown another candidate's error as if it were the parent's).
    #[serde(default)]
    pub recent_failures: Vec<FailureNote>,
    /// The run's baseline set: the example reply in the system prompt is built from it.
    #[serde(default)]
    pub baseline_scripts: Option<ScriptTexts>,
    pub hint: Option<String>,
    pub seed: u64,
}

/// A proposer's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    pub rationale: String,
    pub query: String,
    #[serde(default)]
    pub sort: Vec<String>,
    /// The built-in optimiser's typed genome (None for LLM proposals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genome: Option<serde_json::Value>,
}

impl Proposal {
    pub fn scripts(&self) -> ScriptTexts {
        ScriptTexts { query: self.query.clone(), sort: self.sort.clone() }
    }
}

/// Tokens and money spent on one call (or summed over an iteration).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// None when the model's price is unknown.
    pub cost_usd: Option<f64>,
}

impl Default for Usage {
    /// Nothing spent yet: zero tokens at a known cost of zero.
    fn default() -> Self {
        Usage { input_tokens: 0, output_tokens: 0, cost_usd: Some(0.0) }
    }
}

impl Usage {
    /// Sums two usages; one call at an unknown price makes the total unknown.
    pub fn add(&mut self, other: Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cost_usd = match (self.cost_usd, other.cost_usd) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
    }
}

/// A proposal and what it cost.
#[derive(Debug, Clone)]
pub struct Proposed {
    pub proposal: Proposal,
    pub usage: Usage,
}

/// One parent a proposer may pick under the evolutionary lineage.
#[derive(Debug, Clone, Serialize)]
pub struct ParentOption {
    pub iteration: u32,
    pub status: String,
    pub rationale: String,
    pub metrics: Option<MetricSet>,
    /// How many iterations already edited this one.
    pub picks: u32,
    /// The primary metric after the repeated-pick penalty: the order the options are listed in.
    pub weighted_primary: f64,
}

/// What a proposer sees when it picks the parent of the next iteration.
#[derive(Debug, Clone, Serialize)]
pub struct ParentChoiceContext {
    pub iteration: u32,
    pub objective: String,
    pub guardrail: String,
    pub baseline: MetricSet,
    /// Strongest first; never empty.
    pub options: Vec<ParentOption>,
    pub hint: Option<String>,
}

/// A proposer's pick of a parent, with its reason and what asking cost.
#[derive(Debug, Clone)]
pub struct ParentChoice {
    pub iteration: u32,
    pub reason: String,
    pub usage: Usage,
}

/// Why the proposer could not produce a proposal at all (distinct from a proposal that fails to
/// compile, which is data).
#[derive(Debug, thiserror::Error)]
pub enum ProposerError {
    #[error("{provider}: HTTP request to {url} failed: {message}")]
    Transport { provider: String, url: String, message: String },
    #[error("{provider}: {url} answered HTTP {status}: {body}")]
    Status { provider: String, url: String, status: u16, body: String },
    #[error("{provider}: no usable proposal after {attempts} replies; last problem: {problem}")]
    Unparseable { provider: String, attempts: u32, problem: String },
    #[error("{provider}: missing setting {name} (set it in the environment or .env)")]
    MissingSetting { provider: String, name: String },
    #[error("built-in optimiser: {0}")]
    Builtin(String),
    #[error("{provider}: gave up after {seconds:.0} s of retries (--max-retry-time): {last}")]
    RetryTimeExhausted { provider: String, seconds: f64, last: String },
}

/// Why a candidate failed, as the loop hands it to `Proposer::fix`: the ES-shaped error (what the
/// run record keeps) and, when the judge could say more, the detail a small model can act on.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub kind: FailureKind,
    pub error: serde_json::Value,
    pub detail: Option<FailureDetail>,
}

/// What kind of failure the model is asked to repair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// Elasticsearch would refuse to compile it.
    Compile,
    /// Valid Elasticsearch Painless that the local interpreter cannot evaluate.
    UnsupportedLocally,
    /// It compiled and failed while scoring an item.
    Runtime,
    /// The proposal is the same script set as an earlier candidate.
    Duplicate,
    /// The reply could not be turned into a script set (edits that did not match, a copied example).
    Reply,
}

/// The failing script, position and context of a candidate failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureDetail {
    pub kind: FailureKind,
    /// `query` or `sort N` (1-based), the script the position refers to.
    pub script: String,
    /// Byte range in that script's source, when known.
    pub span: Option<(usize, usize)>,
    /// The one-line message (ES's wording).
    pub message: String,
    /// The checker's one-line help, when it has one.
    pub help: Option<String>,
    /// The item being scored when a runtime error struck, and the values of the fields it has.
    pub item: Option<String>,
    pub field_values: Vec<(String, String)>,
    /// The checker's warnings on the candidate (unknown field, unknown param, vector call sites in loops).
    pub warnings: Vec<String>,
}

/// A record of every call a proposer made since the loop last asked: what it cost, how long it took,
/// the raw replies and the provider layer's warnings. The loop drains it after every proposal, fix or
/// parent choice, successful or not, so nothing spent goes uncounted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallJournal {
    pub usage: Usage,
    pub calls: u32,
    /// Wall time spent waiting for the model (retries and backoff included).
    pub llm_ms: f64,
    pub replies: Vec<String>,
    pub warnings: Vec<String>,
}

impl CallJournal {
    pub fn absorb(&mut self, other: CallJournal) {
        self.usage.add(other.usage);
        self.calls += other.calls;
        self.llm_ms += other.llm_ms;
        self.replies.extend(other.replies);
        self.warnings.extend(other.warnings);
    }
}

/// Writes candidate script sets. Implementations: the built-in optimiser and the LLM providers.
pub trait Proposer {
    /// A short name for logs (`builtin`, `anthropic:claude-...`).
    fn name(&self) -> String;

    /// A new candidate for this iteration.
    fn propose(&mut self, ctx: &ProposalContext) -> Result<Proposed, ProposerError>;

    /// Repair a candidate that failed the local check, failed at run time or repeated an earlier
    /// candidate. `attempt` counts from 1; `failure.error` is the ES-shaped error.
    fn fix(
        &mut self,
        ctx: &ProposalContext,
        broken: &Proposal,
        failure: &Failure,
        attempt: u32,
    ) -> Result<Proposed, ProposerError>;

    /// Everything spent since the last call (see [`CallJournal`]); proposers that call no model
    /// report nothing.
    fn drain_journal(&mut self) -> CallJournal {
        CallJournal::default()
    }

    /// True when the numeric constants of this proposer's candidates are worth tuning locally
    /// (`--tune-constants`): on by default for models, off for the built-in search, which tunes them itself.
    fn wants_constant_tuning(&self) -> bool {
        false
    }

    /// Under the evolutionary lineage: pick the parent of the next iteration among `ctx.options`.
    /// `None` leaves the choice to the loop's tournament (the built-in optimiser's rule); a pick
    /// outside the options is ignored by the loop.
    fn choose_parent(&mut self, _ctx: &ParentChoiceContext) -> Result<Option<ParentChoice>, ProposerError> {
        Ok(None)
    }
}

#[cfg(test)]
mod store_tests {
    use super::*;
    use crate::data::SyntheticOptions;
    use crate::store::synthetic_store;

    #[test]
    fn the_contract_and_fields_describe_the_store() {
        let store =
            synthetic_store(&SyntheticOptions { items: 200, users: 20, dims: 4, ..Default::default() }).unwrap();
        let mut harness = serde_json::Map::new();
        harness.insert("now".into(), serde_json::json!(1_700_000_000));
        let contract = ScriptContract::for_store(&store, &harness, 3, "es8");
        assert_eq!(contract.params.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["user_vector", "now"]);
        assert!(contract.params[0].description.contains(&format!("{} x 4 matrix", store.user_rows())));
        assert!(contract.params[1].description.contains("1700000000"));
        assert_eq!((contract.dims, contract.max_sort_scripts), (4, 3));
        let fields = FieldInfo::of_store(&store);
        assert!(!fields.is_empty());
        assert!(fields.iter().all(|f| f.name != contract.vector_field && f.kind != "dense_vector"));
        assert_eq!(fields.len() + 1, store.schema().fields().len(), "every field but the vector");
    }
}
