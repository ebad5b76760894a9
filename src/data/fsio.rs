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
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}.tmp-"))
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
