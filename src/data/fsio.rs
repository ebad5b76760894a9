//! Atomic directory writes: fill a temporary directory beside the target, fsync it, rename it into
//! place. A reader sees the old directory or the new one, never a half-written one.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Writes a directory atomically. `fill` writes the files into the temporary directory it is given;
/// if it fails, the temporary directory is removed and the target is untouched. An existing target is
/// replaced (moved aside, then removed after the new one is in place).
pub fn replace_dir_atomically<E>(
    target: &Path,
    fill: impl FnOnce(&Path) -> Result<(), E>,
    io_err: impl Fn(PathBuf, io::Error) -> E,
) -> Result<(), E> {
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| io_err(target.to_path_buf(), io::Error::other("target has no file name")))?;
    fs::create_dir_all(&parent).map_err(|e| io_err(parent.clone(), e))?;
    // A killed write leaves its temp directory behind; the pid in its name tells whether its
    // writer is gone, and then the next write of the same target removes it.
    let prefix = format!(".{name}.tmp-");
    remove_abandoned(&parent, &prefix);
    let tmp = tempfile::Builder::new()
        .prefix(&format!("{prefix}{}-", std::process::id()))
        .tempdir_in(&parent)
        .map_err(|e| io_err(parent.clone(), e))?;
    fill(tmp.path())?;
    sync_tree(tmp.path()).map_err(|e| io_err(tmp.path().to_path_buf(), e))?;
    let tmp_path = tmp.keep();
    let mut old = None;
    if target.exists() {
        let aside = parent.join(format!(".{name}.old-{}", std::process::id()));
        if aside.exists() {
            fs::remove_dir_all(&aside).map_err(|e| io_err(aside.clone(), e))?;
        }
        fs::rename(target, &aside).map_err(|e| io_err(target.to_path_buf(), e))?;
        old = Some(aside);
    }
    if let Err(e) = fs::rename(&tmp_path, target) {
        // Put the previous version back so the target is never lost.
        if let Some(aside) = &old {
            let _ = fs::rename(aside, target);
        }
        let _ = fs::remove_dir_all(&tmp_path);
        return Err(io_err(target.to_path_buf(), e));
    }
    if let Some(aside) = old {
        fs::remove_dir_all(&aside).map_err(|e| io_err(aside.clone(), e))?;
    }
    sync_dir(&parent).map_err(|e| io_err(parent.clone(), e))?;
    Ok(())
}

/// Removes the directories in `parent` named `<prefix><pid>-...` whose process no longer runs
/// (left by a write that was killed before its rename). Best effort: what cannot be removed stays.
pub fn remove_abandoned(parent: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(prefix)) else { continue };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else { continue };
        if pid != std::process::id() && !process_alive(pid) && entry.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether process `pid` still runs. Only Linux can tell (`/proc`); elsewhere every process is
/// assumed alive, so nothing is removed.
pub fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

fn sync_tree(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            sync_tree(&path)?;
        } else {
            fs::File::open(&path)?.sync_all()?;
        }
    }
    sync_dir(dir)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    // Directories can be fsynced on Unix; elsewhere opening a directory fails and rename is the best we have.
    #[cfg(unix)]
    fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_fill_leaves_previous_directory_intact() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        replace_dir_atomically(&target, |d| fs::write(d.join("a"), "one"), |_, e| e).unwrap();
        let res: Result<(), io::Error> = replace_dir_atomically(
            &target,
            |d| {
                fs::write(d.join("a"), "two")?;
                Err(io::Error::other("boom"))
            },
            |_, e| e,
        );
        assert!(res.is_err());
        assert_eq!(fs::read_to_string(target.join("a")).unwrap(), "one");
        let leftovers: Vec<_> = fs::read_dir(root.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temporary directory was not cleaned up");
        replace_dir_atomically(&target, |d| fs::write(d.join("a"), "three"), |_, e| e).unwrap();
        assert_eq!(fs::read_to_string(target.join("a")).unwrap(), "three");
    }
}
