//! Date fields end to end on the local side: import (detection, `--date-field`, `dataset.json`
//! declarations, errors naming file, line and field), the store column, the `java.time` values scripts
//! read from `doc['f'].value`, `decayDate*`, and what the local subset refuses (the wall clock, text
//! it cannot read with certainty). Expected values were printed by OpenJDK 17 (java.time) or follow
//! Elasticsearch's ScoreScriptUtils formulas; the same scripts run against the embedded OpenSearch node
//! in tests/engine/search.rs (`parity_on_dated_movielens`).

use scorelab::data::{
    AttrValue, Dataset, DatasetSettings, DateFieldFlag, EpochUnit, FieldKind, FieldSpec, Item, SettingsOverrides, User,
    read_dataset_with, write_dataset,
};
use scorelab::interp::{CompileEnv, Dialect, Program, ScriptContext, compile, schema_fields};
use scorelab::painless::Severity;
use scorelab::store::{ItemIdx, Store};
use std::path::Path;

const DAY: i64 = 86_400_000;
/// 2022-04-24T10:15:30.120Z
const T0: i64 = 1_650_795_330_120;

fn dated_dataset() -> Dataset {
    let spec = |name: &str, kind, multi| FieldSpec { name: name.into(), kind, multi_valued: multi };
    let dates = [Some(vec![T0]), Some(vec![T0 - 7 * DAY]), None, Some(vec![-11_676_096_000_000]), Some(vec![0])];
    let items = dates
        .iter()
        .enumerate()
        .map(|(i, d)| Item {
            id: format!("i{i}"),
            vector: vec![1.0, i as f32],
            attributes: vec![d.clone().map(AttrValue::Date), Some(AttrValue::Date(vec![T0 + DAY, T0 - DAY]))],
        })
        .collect();
    Dataset {
        settings: DatasetSettings { name: "dated".into(), user_rows: 1, ..DatasetSettings::default() },
        dims: 2,
        fields: vec![spec("launched_at", FieldKind::Date, false), spec("seen", FieldKind::Date, true)],
        items,
        users: vec![User { id: "u".into(), matrix: vec![1.0, 0.0] }],
        interactions: Vec::new(),
        exclusions: Vec::new(),
    }
}

fn store() -> Store {
    Store::from_dataset(&dated_dataset()).expect("a valid dated dataset")
}

fn program(store: &Store, source: &str, dialect: Dialect, context: ScriptContext) -> Result<Program, String> {
    let env = CompileEnv { fields: Some(schema_fields(store.schema())), ..CompileEnv::new(context, dialect) };
    let compiled = compile(source, &env);
    compiled.program.ok_or_else(|| {
        compiled
            .diagnostics
            .iter()
            .map(|d| format!("{:?} {} {}", d.severity, d.code, d.message))
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// The script's value on item `i` as a sort script (a double, unlike a score's float), or the error.
fn score(store: &Store, source: &str, i: u32) -> Result<f64, String> {
    run(store, source, i, Dialect::Elasticsearch, ScriptContext::Sort)
}

fn score_in(store: &Store, source: &str, i: u32, dialect: Dialect) -> Result<f64, String> {
    run(store, source, i, dialect, ScriptContext::Sort)
}

/// A `script_score` script's score (a float, widened), where the score functions live.
fn query_score(store: &Store, source: &str, i: u32, dialect: Dialect) -> Result<f64, String> {
    run(store, source, i, dialect, ScriptContext::Score)
}

fn run(store: &Store, source: &str, i: u32, dialect: Dialect, context: ScriptContext) -> Result<f64, String> {
    let p = program(store, source, dialect, context)?;
    let params =
        serde_json::json!({"origin": "2022-04-24", "now": 1_650_800_000}).as_object().cloned().expect("object");
    let mut bound = p.bind(&params, store).map_err(|d| d.message)?;
    p.eval(&mut bound, store, ItemIdx(i), 0.0).map_err(|d| format!("{}: {}", d.code, d.message))
}

#[test]
fn date_doc_values_are_utc_zoned_date_times() {
    let s = store();
    let f = |src: &str| score(&s, src, 0).unwrap_or_else(|e| panic!("{src}: {e}"));
    let v = "doc['launched_at'].value";
    assert_eq!(f(&format!("{v}.toInstant().toEpochMilli()")), T0 as f64);
    assert_eq!(f(&format!("{v}.toEpochSecond()")), (T0 / 1000) as f64);
    assert_eq!(f(&format!("{v}.getYear() * 10000 + {v}.getMonthValue() * 100 + {v}.getDayOfMonth()")), 20_220_424.0);
    assert_eq!(f(&format!("{v}.getHour() * 10000 + {v}.getMinute() * 100 + {v}.getSecond()")), 101_530.0);
    assert_eq!(f(&format!("{v}.getDayOfYear()")), 114.0);
    assert_eq!(f(&format!("{v}.getNano()")), 120_000_000.0);
    // ZonedDateTime.toString as Java prints it: seconds and millis kept here, dropped when zero.
    assert_eq!(f(&format!("{v}.toString().equals('2022-04-24T10:15:30.120Z') ? 1 : 0")), 1.0);
    assert_eq!(score(&s, "doc['launched_at'].value.toString().length()", 4), Ok(17.0)); // 1970-01-01T00:00Z
    assert_eq!(f("String t = '' + doc['launched_at'].value; return t.length();"), 24.0);
    // Multi-valued dates come sorted ascending; [1] is the later one.
    assert_eq!(
        f("doc['seen'][1].toInstant().toEpochMilli() - doc['seen'].value.toInstant().toEpochMilli()"),
        (2 * DAY) as f64
    );
    assert_eq!(f("doc['seen'].size()"), 2.0);
    // Typed locals of the java.time classes.
    assert_eq!(
        f("ZonedDateTime z = doc['launched_at'].value; Instant i = z.toInstant(); return i.getEpochSecond() % 1000;"),
        ((T0 / 1000) % 1000) as f64
    );
    assert_eq!(
        f(
            "Instant a = doc['seen'][0].toInstant(); Instant b = doc['seen'][1].toInstant(); return a.isBefore(b) ? 1 : 0;"
        ),
        1.0
    );
    assert_eq!(f("doc['seen'][0].isAfter(doc['seen'][1]) ? 1 : 0"), 0.0);
    assert_eq!(f("doc['seen'][0].compareTo(doc['seen'][1])"), -1.0);
    // Before 1970 (1600-01-01) and at the epoch.
    assert_eq!(score(&s, "doc['launched_at'].value.getYear()", 3), Ok(1600.0));
    assert_eq!(score(&s, "doc['launched_at'].value.toInstant().toEpochMilli()", 4), Ok(0.0));
}

#[test]
fn instants_and_durations_follow_java() {
    let s = store();
    let f = |src: &str| score(&s, src, 0).unwrap_or_else(|e| panic!("{src}: {e}"));
    assert_eq!(f("Instant.parse('1600-01-01T00:00:00Z').toEpochMilli() / 1000"), -11_676_096_000.0);
    assert_eq!(f("Instant.parse('2022-04-24T10:15:30+02:00').toEpochMilli()"), 1_650_788_130_000.0);
    assert_eq!(f("Instant.ofEpochMilli(1000L).plusSeconds(59).minusMillis(500).toEpochMilli()"), 59_500.0);
    assert_eq!(
        f("Duration.between(doc['launched_at'].value.toInstant(), Instant.parse('2022-05-01T00:00:00Z')).toDays()"),
        6.0
    );
    assert_eq!(
        f("Duration.between(Instant.ofEpochMilli(90061500L), Instant.ofEpochMilli(1000L)).toMillis()"),
        -90_060_500.0
    );
    assert_eq!(
        f(
            "Duration.between(Instant.ofEpochMilli(1000L), Instant.ofEpochMilli(90061500L)).toString().equals('PT25H1M0.5S') ? 1 : 0"
        ),
        1.0
    );
    assert_eq!(f("Duration.ofDays(2).toHours()"), 48.0);
    // The script from the real-world corpus, with the clock passed in params (as the local subset asks).
    let courtlistener = "def missing = Instant.parse('1600-01-01T00:00:00Z').toEpochMilli();
        def decay = 0.2; def now = params.now * 1000L;
        long scaleMillis = (long)(50.0 * 365 * 24 * 60 * 60 * 1000);
        def docDate = missing;
        if (doc['launched_at'].size() > 0) { docDate = doc['launched_at'].value.toInstant().toEpochMilli(); }
        def lambda = Math.log(decay) / scaleMillis;
        return Math.exp(lambda * Math.abs(docDate - now));";
    let expected = |doc: i64| {
        ((0.2f64).ln() / (50.0 * 365.0 * 86_400_000.0f64).floor() * ((doc - 1_650_800_000_000) as f64).abs()).exp()
    };
    // Rust's `ln`/`exp` may differ from Java's in the last bit (the interpreter follows Java's).
    let close = |got: Result<f64, String>, want: f64| {
        let got = got.unwrap_or_else(|e| panic!("{e}"));
        assert!((got - want).abs() <= want.abs() * 1e-14, "{got} vs {want}");
    };
    close(score(&s, courtlistener, 0), expected(T0));
    close(score(&s, courtlistener, 2), expected(-11_676_096_000_000));
}

#[test]
fn date_decay_functions_follow_elasticsearch() {
    let s = store();
    // ES: origin 2022-04-24 (UTC midnight), scale 6d, offset 1d, decay 0.25.
    let origin = 1_650_758_400_000i64;
    let dist = |doc: i64| (((doc - origin).abs() - DAY).max(0)) as f64;
    let scale = (6 * DAY) as f64;
    let cases = [
        (
            "decayDateLinear",
            Box::new(move |d: f64| (0.0f64).max((scale / 0.75 - d) / (scale / 0.75))) as Box<dyn Fn(f64) -> f64>,
        ),
        ("decayDateExp", Box::new(move |d: f64| ((0.25f64).ln() / scale * d).exp())),
        (
            "decayDateGauss",
            Box::new(move |d: f64| (0.5 * d.powf(2.0) / (0.5 * scale.powf(2.0) / (0.25f64).ln())).exp()),
        ),
    ];
    for (name, formula) in cases {
        for (item, doc) in [(0u32, T0), (1, T0 - 7 * DAY), (4, 0)] {
            let src = format!("{name}(params.origin, '6d', '1d', 0.25, doc['launched_at'].value)");
            let got = query_score(&s, &src, item, Dialect::Elasticsearch).unwrap_or_else(|e| panic!("{src}: {e}"));
            assert_eq!(got, f64::from(formula(dist(doc)) as f32), "{name} on item {item}");
        }
    }
    // The OpenSearch documentation's example (a real-world corpus script) runs in that dialect.
    let os = "decayDateLinear(params.origin, '6d', '1d', 0.25, doc['launched_at'].value)";
    assert!(query_score(&s, os, 0, Dialect::OpenSearch).is_ok());
    // Errors Elasticsearch raises, with its messages; forms the local subset does not guess, refused.
    let err = |src: &str| query_score(&s, src, 0, Dialect::Elasticsearch).expect_err(src);
    assert!(
        err("decayDateExp('2022-04-24', '1.5d', '0', 0.5, doc['launched_at'].value)")
            .ends_with("failed to parse [1.5d], fractional time values are not supported")
    );
    assert!(err("decayDateExp('2022-04-24', '10', '0', 0.5, doc['launched_at'].value)").ends_with(
        "failed to parse setting [DecayDateExp.scale] with value [10] as a time value: unit is missing or unrecognized"
    ));
    assert!(err("decayDateExp('now-1d', '1d', '0', 0.5, doc['launched_at'].value)").contains("cannot read `now`"));
    assert!(err("decayDateExp('24/04/2022', '1d', '0', 0.5, doc['launched_at'].value)").contains("not guessed"));
}

#[test]
fn what_the_local_subset_refuses_it_says_why() {
    let s = store();
    let refused = |src: &str| {
        let env = CompileEnv {
            fields: Some(schema_fields(s.schema())),
            ..CompileEnv::new(ScriptContext::Sort, Dialect::Elasticsearch)
        };
        let c = compile(src, &env);
        let d =
            c.diagnostics.iter().find(|d| d.severity != Severity::Warning).unwrap_or_else(|| panic!("{src} compiled"));
        assert_eq!(d.severity, Severity::UnsupportedLocally, "{src}: {} {}", d.code, d.message);
        format!("{} {}", d.message, d.help.clone().unwrap_or_default())
    };
    assert!(refused("return new Date().getTime();").contains("wall clock"));
    assert!(refused("return Instant.now().toEpochMilli();").contains("wall clock"));
    // Other java.time members are Elasticsearch's, never "invalid Painless".
    refused("ZonedDateTime z = doc['launched_at'].value; return z.plusDays(1).getYear();");
    // Missing values raise ES's exception; getMillis() is OpenSearch's (Joda-compatible) only.
    assert!(score(&s, "doc['launched_at'].value.getYear()", 2).expect_err("missing").contains("doesn't have a value"));
    assert!(
        score(&s, "doc['seen'][2].getYear()", 0)
            .expect_err("past the end")
            .contains("attempted to fetch the [2] date when there are only [2] dates.")
    );
    assert!(
        score(&s, "doc['launched_at'].value.getMillis()", 0).expect_err("ES").contains("toInstant().toEpochMilli()")
    );
    assert_eq!(score_in(&s, "doc['launched_at'].value.getMillis()", 0, Dialect::OpenSearch), Ok(T0 as f64));
    assert!(score(&s, "Instant.parse('2022-04-24').toEpochMilli()", 0).expect_err("no time").contains("Instant.parse"));
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

/// A dataset directory whose items carry `launched` as given (one JSON value per item).
fn export(dir: &Path, launched: &[&str]) {
    let items: Vec<String> = launched
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!("{{\"id\":\"i{i}\",\"item_vector\":[1.0,{i}.0],\"launched\":{v},\"brand\":\"b{}\"}}", i % 2)
        })
        .collect();
    write(dir, "items.jsonl", &(items.join("\n") + "\n"));
    write(dir, "users.jsonl", "{\"id\":\"u\",\"user_vector\":[[1.0,0.0]]}\n");
    write(dir, "interactions.csv", "user_id,item_id,weight\nu,i0,1\n");
    write(dir, "exclusions.csv", "user_id,item_id\n");
    write(dir, "dataset.json", "{\"user_rows\": 1}");
}

fn read(dir: &Path, flags: &[&str]) -> Result<scorelab::data::DatasetRead, String> {
    let overrides = SettingsOverrides {
        date_fields: flags.iter().map(|f| f.parse::<DateFieldFlag>().expect("flag")).collect(),
        ..SettingsOverrides::default()
    };
    read_dataset_with(dir, &overrides, &|_| {}).map_err(|e| e.to_string())
}

#[test]
fn import_detects_iso_dates_and_reads_declared_epochs() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    export(dir, &["\"2022-04-24T10:15:30.120Z\"", "\"2022-04-17\"", "\"2022-04-24T12:15:30.120+02:00\""]);
    let r = read(dir, &[]).expect("ISO dates");
    let launched = r.dataset.fields.iter().position(|f| f.name == "launched").expect("field");
    assert_eq!(r.dataset.fields[launched].kind, FieldKind::Date);
    assert!(
        r.defaults_applied.iter().any(|n| n.contains("`launched` holds ISO-8601 dates")),
        "{:?}",
        r.defaults_applied
    );
    let values: Vec<_> = r.dataset.items.iter().map(|i| i.attributes[launched].clone()).collect();
    assert_eq!(
        values,
        [
            Some(AttrValue::Date(vec![T0])),
            Some(AttrValue::Date(vec![T0 - 7 * DAY - 36_930_120])),
            Some(AttrValue::Date(vec![T0]))
        ]
    );
    // The store round-trips through the exchange format: written as ISO-8601, read back as the same millis.
    let out = tmp.path().join("out");
    write_dataset(&r.dataset, &out).expect("write");
    let again = read(&out, &[]).expect("re-read");
    assert_eq!(again.dataset.items, r.dataset.items);
    assert_eq!(again.dataset.fields, r.dataset.fields);
    assert!(again.defaults_applied.iter().all(|n| !n.contains("ISO-8601")), "dataset.json declares it now");

    // Epoch numbers are longs unless declared: --date-field NAME (millis) or NAME:epoch_second.
    export(dir, &["1650795330", "1650190530", "1650795330"]);
    let plain = read(dir, &[]).expect("numbers");
    assert_eq!(plain.dataset.fields.iter().find(|f| f.name == "launched").map(|f| f.kind), Some(FieldKind::Long));
    let secs = read(dir, &["launched:epoch_second"]).expect("epoch seconds");
    assert_eq!(secs.dataset.items[0].attributes[launched], Some(AttrValue::Date(vec![1_650_795_330_000])));
    let millis = read(dir, &["launched"]).expect("epoch millis");
    assert_eq!(millis.dataset.items[0].attributes[launched], Some(AttrValue::Date(vec![1_650_795_330])));
    assert_eq!("launched:epoch_second".parse::<DateFieldFlag>().map(|f| f.unit), Ok(EpochUnit::EpochSecond));
    assert!("launched:seconds".parse::<DateFieldFlag>().is_err());
    assert!(read(dir, &["nope"]).expect_err("unknown field").contains("no item has a field `nope`"));

    // dataset.json declares a date with its number format.
    write(
        dir,
        "dataset.json",
        "{\"user_rows\":1,\"fields\":[{\"name\":\"launched\",\"type\":\"date\",\"format\":\"epoch_second\"}]}",
    );
    let declared = read(dir, &[]).expect("declared");
    assert_eq!(declared.dataset.items[0].attributes[launched], Some(AttrValue::Date(vec![1_650_795_330_000])));

    // A text that is not a date, in a field declared as one: the error names the file, line and field.
    export(dir, &["\"2022-04-24\"", "\"soon\"", "\"2022-04-24\""]);
    let plain = read(dir, &[]).expect("mixed text stays keyword");
    assert_eq!(plain.dataset.fields.iter().find(|f| f.name == "launched").map(|f| f.kind), Some(FieldKind::Keyword));
    let err = read(dir, &["launched"]).expect_err("not a date");
    assert!(err.contains("items.jsonl:2:") && err.contains("launched") && err.contains("\"soon\""), "{err}");
    // Outside the years 0000-9999: refused rather than printed differently from Java.
    export(dir, &["253402300800000", "0", "0"]);
    assert!(read(dir, &["launched"]).expect_err("year 10000").contains("years 0000-9999"));
}

#[test]
fn the_store_keeps_date_columns_and_their_statistics() {
    let tmp = tempfile::tempdir().expect("tmp");
    let ds = dated_dataset();
    let dir = tmp.path().join("store");
    Store::from_dataset(&ds).expect("build").save(&dir).expect("save");
    let opened = Store::open(&dir).expect("open");
    assert_eq!(opened.schema().field("launched_at").map(|f| f.kind), Some(FieldKind::Date));
    match opened.column("launched_at") {
        Some(scorelab::store::Column::Date(c)) => assert_eq!(c.values(ItemIdx(0)), &[T0]),
        other => panic!("{other:?}"),
    }
    let stats = opened.field_stat("launched_at").expect("stats");
    assert_eq!(stats.numeric.as_ref().map(|n| n.max), Some(T0 as f64));
    // The harness's `now` counts date fields (epoch seconds of the newest date).
    assert_eq!(scorelab::run::default_now(&opened), Some((T0 + DAY) / 1000));
}
