//! Results folders: written into a staging folder beside the target and
//! swapped in whole, so a folder never holds half a result, an earlier
//! result is replaced only by a complete one, and nothing that is not a
//! results folder is ever moved or replaced.
//!
//! Every folder written here holds [`MARKER`], a small file that says
//! upstream wrote it. An `--out` that exists is replaced only when it is a
//! folder with that file (or, from before the marker, a `run.json` or
//! `part.json` written by upstream), or an empty folder.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The file that marks a folder as upstream's results.
pub const MARKER: &str = ".upstream-results";

const MARKER_TEXT: &str =
    "This folder holds results written by upstream. A later run with the same --out replaces it whole.\n";

/// Staging folders being written, so that an interrupted run can remove
/// them (see [`interrupted`]); the lock is also held while a finished run is
/// swapped in, so an interruption never lands between the two renames.
static PENDING: std::sync::Mutex<Vec<Staging>> = std::sync::Mutex::new(Vec::new());

/// A staging folder being written. On Linux its path is also kept
/// NUL-terminated, so that [`out_of_memory`] can remove it without
/// allocating.
struct Staging {
    path: PathBuf,
    #[cfg(target_os = "linux")]
    c_path: Option<std::ffi::CString>,
}

impl Staging {
    fn new(path: &Path) -> Self {
        Staging {
            path: path.to_path_buf(),
            #[cfg(target_os = "linux")]
            c_path: std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str())).ok(),
        }
    }
}

fn pending() -> std::sync::MutexGuard<'static, Vec<Staging>> {
    PENDING.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// For a Ctrl-C or termination handler: removes every staging folder still
/// being written (waiting for a swap in progress to finish), leaving earlier
/// results as they were. The caller then exits.
pub fn interrupted() {
    let mut pending = pending();
    for staging in pending.drain(..) {
        let _ = fs::remove_dir_all(staging.path);
    }
    // Hold the lock until the process exits: no swap may start now.
    std::mem::forget(pending);
}

/// For a failed allocation: removes every staging folder still being
/// written, allocating nothing (the allocator has just said no), so the
/// global allocator itself may call it; the caller then exits at once.
/// Other threads may still be writing into a folder, so it is cleared in a
/// few passes. When the list stays locked (this very thread ran out while
/// adding to it, before its folder existed, or another is swapping a
/// finished run in) nothing is removed: the next run into the same folder
/// clears what is left. On systems other than Linux nothing is removed
/// either, and the next run clears it in the same way.
pub fn out_of_memory() {
    let mut tries = 0;
    let pending = loop {
        match PENDING.try_lock() {
            Ok(pending) => break pending,
            Err(std::sync::TryLockError::Poisoned(poisoned)) => break poisoned.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) if tries < 50 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            Err(std::sync::TryLockError::WouldBlock) => return,
        }
    };
    #[cfg(target_os = "linux")]
    for staging in pending.iter() {
        if let Some(path) = &staging.c_path {
            without_allocating::remove_tree(path);
        }
    }
    drop(pending);
}

/// Whether `dir` may be written as a results folder: it does not exist, or
/// it is an empty folder or a folder of upstream's results. Otherwise a
/// sentence saying what it is and what to do, for the user.
pub fn check_out_dir(dir: &Path) -> Result<(), String> {
    let shown = dir.display();
    let meta = match fs::metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            // A dangling symbolic link is not "nothing there".
            return match fs::symlink_metadata(dir) {
                Ok(_) => Err(format!(
                    "--out {shown} is a link to nothing; give a folder for the results (one that does not exist yet, or an earlier results folder)"
                )),
                Err(_) => Ok(()),
            };
        }
        Err(e) => return Err(format!("--out {shown} cannot be looked at ({e}); give another folder")),
    };
    if !meta.is_dir() {
        return Err(format!(
            "--out {shown} is a file, not a results folder; it is left as it is. Give a folder for the results (one that does not exist yet, or an earlier results folder)"
        ));
    }
    if is_results_folder(dir) {
        return Ok(());
    }
    let empty = fs::read_dir(dir)
        .map_err(|e| format!("--out {shown} cannot be read ({e}); give another folder"))?
        .next()
        .is_none();
    if empty {
        Ok(())
    } else {
        Err(format!(
            "--out {shown} is a folder that upstream did not write (it has no {MARKER}); it is left as it is, since a run replaces its output folder whole. Give a new folder, or an earlier results folder"
        ))
    }
}

/// A folder upstream wrote: it has the marker, or (from before the marker)
/// a `run.json` or `part.json` saying `"tool": "upstream"`.
fn is_results_folder(dir: &Path) -> bool {
    if fs::symlink_metadata(dir.join(MARKER)).is_ok_and(|m| m.is_file()) {
        return true;
    }
    ["run.json", "part.json"].iter().any(|name| {
        let path = dir.join(name);
        // Read only a small regular file.
        let small = fs::symlink_metadata(&path).is_ok_and(|m| m.is_file() && m.len() < 1 << 20);
        small
            && fs::read_to_string(&path)
                .ok()
                .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
                .is_some_and(|v| v.get("tool").and_then(|t| t.as_str()) == Some("upstream"))
    })
}

/// Writes a folder of results: `write` fills a fresh sibling folder, which
/// then replaces `dir` whole, so `dir` never holds a half-written result and
/// an earlier one is only replaced once the new one is complete. Refuses a
/// `dir` that [`check_out_dir`] refuses (an `InvalidInput` error) before
/// anything is written. Staging folders left by runs that were killed are
/// cleared first (and results a killed run had moved aside are put back).
pub fn replace_dir(dir: &Path, write: impl FnOnce(&Path) -> io::Result<()>) -> io::Result<()> {
    check_out_dir(dir).map_err(|m| io::Error::new(io::ErrorKind::InvalidInput, m))?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    clear_stale(&parent, &name, dir);
    let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
    if staging.exists() {
        fs::remove_dir_all(&staging)?;
    }
    let entry = Staging::new(&staging);
    pending().push(entry);
    let created = fs::create_dir(&staging);
    let written = created
        .and_then(|()| fs::write(staging.join(MARKER), MARKER_TEXT))
        .and_then(|()| write(&staging));
    let mut pending = pending();
    pending.retain(|p| p.path != staging);
    if let Err(e) = written {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    if fs::symlink_metadata(dir).is_ok() {
        let previous = parent.join(format!(".{name}.previous-{}", std::process::id()));
        fs::rename(dir, &previous)?;
        if let Err(e) = fs::rename(&staging, dir) {
            let _ = fs::rename(&previous, dir);
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
        remove_any(&previous)?;
    } else {
        fs::rename(&staging, dir)?;
    }
    Ok(())
}

/// Removes a folder, or a symbolic link that stood where the results go.
fn remove_any(path: &Path) -> io::Result<()> {
    if fs::symlink_metadata(path)?.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
}

/// Clears what runs killed outright (kill -9, a power cut) left beside
/// `dir`: their staging folders `.NAME.partial-PID` are removed, and
/// results one had moved aside (`.NAME.previous-PID`) are put back when
/// `dir` is missing (it was killed between its two renames), else removed.
/// Only folders of processes that are no longer running are touched.
fn clear_stale(parent: &Path, name: &str, dir: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let mut stale: Vec<(PathBuf, bool)> = Vec::new();
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(file) = file.to_str() else { continue };
        let Some(rest) = file.strip_prefix('.').and_then(|r| r.strip_prefix(name)) else {
            continue;
        };
        let (previous, pid) = if let Some(pid) = rest.strip_prefix(".partial-") {
            (false, pid)
        } else if let Some(pid) = rest.strip_prefix(".previous-") {
            (true, pid)
        } else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else { continue };
        if pid != std::process::id() && !process_alive(pid) {
            stale.push((entry.path(), previous));
        }
    }
    // Put back earlier results first, so a partial folder never wins.
    stale.sort_by_key(|(_, previous)| !previous);
    for (path, previous) in stale {
        if previous && fs::symlink_metadata(dir).is_err() {
            let _ = fs::rename(&path, dir);
        } else {
            let _ = remove_any(&path);
        }
    }
}

/// Whether a process with this id is running (so its folders are in use).
#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return true;
    };
    // Signal 0 checks only that the process exists.
    // SAFETY: kill with signal 0 sends nothing; it only reports on the pid.
    let answer = unsafe { libc::kill(pid, 0) };
    answer == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Elsewhere, assume it is: stale folders are then left for the user.
#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    true
}

/// Removing a folder tree with system calls alone, for [`out_of_memory`].
#[cfg(target_os = "linux")]
mod without_allocating {
    use std::ffi::CStr;
    use std::io;

    /// Folders deeper than this are left (a results folder has one level).
    const DEPTH: u32 = 16;

    /// Removes the file or folder tree at `path` (relative paths from the
    /// working folder) without allocating: the listing goes through a
    /// buffer on the stack. Up to three passes, as a thread still writing
    /// may add a file while the folder is emptied.
    pub fn remove_tree(path: &CStr) {
        for _ in 0..3 {
            if remove_at(libc::AT_FDCWD, path, 0) {
                return;
            }
        }
    }

    /// Removes `name` in the folder open as `at`: a file or link at once, a
    /// folder after what is in it. Whether it is gone.
    fn remove_at(at: libc::c_int, name: &CStr, depth: u32) -> bool {
        // SAFETY: `name` is NUL-terminated; unlinkat reads nothing else.
        if unsafe { libc::unlinkat(at, name.as_ptr(), 0) } == 0 || gone() {
            return true;
        }
        if depth == DEPTH {
            return false;
        }
        let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        // SAFETY: as above; the descriptor is closed below.
        let folder = unsafe { libc::openat(at, name.as_ptr(), flags) };
        if folder < 0 {
            return gone();
        }
        let mut buffer = [0u8; 2048];
        loop {
            // SAFETY: the kernel writes at most `buffer.len()` bytes of
            // `linux_dirent64` records into `buffer`.
            let read = unsafe { libc::syscall(libc::SYS_getdents64, folder, buffer.as_mut_ptr(), buffer.len()) };
            let Ok(read) = usize::try_from(read) else { break };
            if read == 0 {
                break;
            }
            let mut at_record = 0;
            while let Some((entry, length)) = record(&buffer[at_record..read]) {
                if entry != c"." && entry != c".." {
                    remove_at(folder, entry, depth + 1);
                }
                at_record += length;
            }
        }
        // SAFETY: `folder` is ours and open.
        unsafe { libc::close(folder) };
        // SAFETY: as above.
        let removed = unsafe { libc::unlinkat(at, name.as_ptr(), libc::AT_REMOVEDIR) } == 0;
        removed || gone()
    }

    /// The name and length of the `linux_dirent64` record at the start of
    /// `bytes`: inode (8 bytes), offset (8), record length (2), type (1),
    /// then the NUL-terminated name.
    fn record(bytes: &[u8]) -> Option<(&CStr, usize)> {
        let length = usize::from(u16::from_ne_bytes([*bytes.get(16)?, *bytes.get(17)?]));
        let name = CStr::from_bytes_until_nul(bytes.get(19..length)?).ok()?;
        Some((name, length))
    }

    /// Whether the last call failed because there was nothing there.
    fn gone() -> bool {
        io::Error::last_os_error().raw_os_error() == Some(libc::ENOENT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_or_a_foreign_folder_is_never_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("model.toml");
        fs::write(&file, "name = 1\n").unwrap();
        let err = replace_dir(&file, |s| fs::write(s.join("x"), "x")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(fs::read_to_string(&file).unwrap(), "name = 1\n");
        let folder = tmp.path().join("mine");
        fs::create_dir(&folder).unwrap();
        fs::write(folder.join("notes.txt"), "keep").unwrap();
        assert!(replace_dir(&folder, |s| fs::write(s.join("x"), "x")).is_err());
        assert_eq!(fs::read_to_string(folder.join("notes.txt")).unwrap(), "keep");
        let names: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn results_folders_and_empty_folders_are_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        fs::create_dir(&out).unwrap();
        replace_dir(&out, |s| fs::write(s.join("a.csv"), "1")).unwrap();
        assert!(out.join(MARKER).is_file());
        replace_dir(&out, |s| fs::write(s.join("b.csv"), "2")).unwrap();
        assert!(!out.join("a.csv").exists());
        assert_eq!(fs::read_to_string(out.join("b.csv")).unwrap(), "2");
        // A results folder from before the marker.
        let old = tmp.path().join("old");
        fs::create_dir(&old).unwrap();
        fs::write(old.join("run.json"), r#"{"tool": "upstream", "version": "0.1.0"}"#).unwrap();
        fs::write(old.join("summary.csv"), "x").unwrap();
        replace_dir(&old, |s| fs::write(s.join("c.csv"), "3")).unwrap();
        assert!(!old.join("summary.csv").exists());
    }

    #[cfg(unix)]
    #[test]
    fn what_killed_runs_left_is_cleared() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("res");
        // A pid that is not running: beyond the kernel's largest.
        let dead = 4_194_305;
        fs::create_dir(tmp.path().join(format!(".res.partial-{dead}"))).unwrap();
        fs::create_dir(tmp.path().join(format!(".res.previous-{dead}"))).unwrap();
        fs::write(tmp.path().join(format!(".res.previous-{dead}/summary.csv")), "earlier").unwrap();
        // A folder of a run still going (this test's own parent process
        // is alive) is left alone.
        let alive = std::os::unix::process::parent_id();
        fs::create_dir(tmp.path().join(format!(".res.partial-{alive}"))).unwrap();
        // The earlier results come back, then the new run replaces them.
        replace_dir(&out, |s| fs::write(s.join("summary.csv"), "new")).unwrap();
        assert_eq!(fs::read_to_string(out.join("summary.csv")).unwrap(), "new");
        let mut left: Vec<String> = fs::read_dir(tmp.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, vec![format!(".res.partial-{alive}"), "res".to_string()]);
    }
}
