//! The golden-file helper of the front-end, checker and runtime-error goldens: each rendered text is
//! compared with its file, or the file is (re)written under `SCORELAB_BLESS=1`; every mismatch and
//! missing file is collected, so one run lists them all.

use std::path::{Path, PathBuf};

pub struct Goldens {
    bless: bool,
    failures: Vec<String>,
}

impl Goldens {
    pub fn new() -> Goldens {
        Goldens { bless: std::env::var("SCORELAB_BLESS").is_ok_and(|v| v == "1"), failures: Vec::new() }
    }

    /// The `.painless` inputs of `dir`, sorted by name.
    pub fn inputs(dir: &Path) -> Vec<PathBuf> {
        let mut inputs: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("golden directory {}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "painless"))
            .collect();
        inputs.sort();
        inputs
    }

    /// `got` must equal the file at `path` (written instead when blessing).
    pub fn check(&mut self, path: &Path, got: &str) {
        if self.bless {
            std::fs::write(path, got).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
            return;
        }
        match std::fs::read_to_string(path) {
            Ok(want) if want == got => {}
            Ok(want) => self.failures.push(format!("{} differs:\n--- want\n{want}\n--- got\n{got}", path.display())),
            Err(_) => self.failures.push(format!("{} is missing (run with SCORELAB_BLESS=1)", path.display())),
        }
    }

    /// A failure that is not a file comparison (a case that parsed but should not have...).
    pub fn fail(&mut self, message: String) {
        self.failures.push(message);
    }

    /// Fails the test with every collected failure.
    pub fn finish(self, what: &str) {
        assert!(
            self.failures.is_empty(),
            "{} {what} golden failures (SCORELAB_BLESS=1 regenerates the files):\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}
