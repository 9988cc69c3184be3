//! Output folders: rotor replaces only a folder it wrote itself.
//!
//! Every folder a command writes carries [`MANIFEST`], naming the command and every file it
//! wrote (with its size). Before any work, [`check`] refuses an output folder that holds anything
//! else (a file the manifest does not list, or a listed file whose size changed), a path that is
//! a file, the working folder, and a folder that holds the strategy, a data file or the working
//! folder. [`write_dir_atomically`] fills a temporary sibling folder, checks the old folder
//! again, swaps the new one in and deletes, of the old one, only the files its manifest lists.
//! A temporary folder is removed on error, on Ctrl-C (see [`clean_up_pending`]) and, if a
//! process was killed outright, by the next run that writes beside it.

use crate::error::{Diagnostic, Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

/// The file that marks a folder as rotor's, listing what it wrote.
pub const MANIFEST: &str = "rotor-manifest.json";
/// Version of the manifest layout.
pub const MANIFEST_SCHEMA: &str = "rotor.manifest/1";

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub schema: String,
    /// The command that wrote the folder (`run`, `sweep`, `walkforward`, `events`...).
    pub command: String,
    pub rotor_version: String,
    /// Every file of the folder but the manifest, as paths relative to it with `/`, sorted.
    pub files: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    pub path: String,
    pub bytes: u64,
}

fn refuse(out: &Path, message: String) -> Error {
    Error::input(Diagnostic::new(out, message).key("--out"))
}

/// `path` made absolute without requiring it to exist: its longest existing ancestor resolved
/// (links followed), the rest appended. `None` when a `..` follows a missing folder.
fn resolve(path: &Path) -> Option<PathBuf> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    let mut base = abs.as_path();
    let mut rest: Vec<&std::ffi::OsStr> = vec![];
    loop {
        if let Ok(c) = base.canonicalize() {
            let mut out = c;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return Some(out);
        }
        match (base.parent(), base.components().next_back()) {
            (Some(parent), Some(Component::Normal(name))) => {
                rest.push(name);
                base = parent;
            }
            (Some(parent), Some(Component::CurDir)) => base = parent,
            _ => return None,
        }
    }
}

/// Checks, before any work, that `out` may be written (see the module docs). `inputs` are the
/// files the command reads (the strategy, its data files).
pub fn check(out: &Path, inputs: &[&Path]) -> Result<()> {
    check_parent(out, inputs)?;
    check_contents(out)
}

/// The refusals that depend on where `out` is, not on what it holds: the working folder (or an
/// ancestor of it), a folder holding an input. For a folder that holds the output folders of
/// several results, which rotor never replaces itself.
pub fn check_parent(out: &Path, inputs: &[&Path]) -> Result<()> {
    let Some(abs) = resolve(out) else {
        return Err(refuse(out, "cannot resolve this folder".into()));
    };
    let cwd = std::env::current_dir()
        .and_then(|d| d.canonicalize())
        .map_err(|e| Error::io("cannot read the working folder", e))?;
    if cwd.starts_with(&abs) {
        let what = if cwd == abs {
            "is the working folder"
        } else {
            "holds the working folder"
        };
        return Err(refuse(
            out,
            format!("{what}: rotor writes results into a folder of their own (for example `--out out/NAME`)"),
        ));
    }
    for input in inputs {
        // A file's folder, or a folder input itself (the shards `sweep merge` reads).
        let holder = resolve(input).and_then(|p| {
            if p.is_dir() {
                Some(p)
            } else {
                p.parent().map(Path::to_path_buf)
            }
        });
        if holder.is_some_and(|h| h.starts_with(&abs)) {
            return Err(refuse(
                out,
                format!(
                    "holds the input {}: rotor will not write results where its inputs live (choose a folder of its own)",
                    input.display()
                ),
            ));
        }
    }
    Ok(())
}

/// The folder may be replaced: missing, empty, or holding only what its manifest lists.
fn check_contents(out: &Path) -> Result<()> {
    // `link/` would follow the link: look at the path itself.
    let bare: PathBuf = out.components().collect();
    let meta = match std::fs::symlink_metadata(&bare) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(format!("cannot read {}", out.display()), e)),
    };
    if meta.file_type().is_symlink() {
        return Err(refuse(
            out,
            "is a symbolic link: give the folder itself".into(),
        ));
    }
    if !meta.is_dir() {
        return Err(refuse(
            out,
            "is a file, not a folder: rotor will not replace it".into(),
        ));
    }
    let found = list(out)?;
    if found.is_empty() {
        return Ok(());
    }
    let manifest = match read_manifest(out) {
        Some(m) => m,
        None => {
            return Err(refuse(
                out,
                format!(
                    "holds {}, which rotor did not write (the folder has no {MANIFEST}): refusing to replace it; choose another folder or move the files away",
                    found[0].path
                ),
            ))
        }
    };
    for f in &found {
        if f.path == MANIFEST {
            continue;
        }
        match manifest.files.iter().find(|m| m.path == f.path) {
            Some(m) if m.bytes == f.bytes => {}
            Some(_) => {
                return Err(refuse(
                    out,
                    format!(
                        "holds {}, changed since rotor wrote it: refusing to replace the folder",
                        f.path
                    ),
                ))
            }
            None => {
                return Err(refuse(
                    out,
                    format!(
                        "holds {}, which rotor did not write: refusing to replace the folder; choose another folder or move the file away",
                        f.path
                    ),
                ))
            }
        }
    }
    Ok(())
}

fn read_manifest(dir: &Path) -> Option<Manifest> {
    let text = crate::error::read_text(&dir.join(MANIFEST), "manifest").ok()?;
    serde_json::from_str::<Manifest>(&text)
        .ok()
        .filter(|m| m.schema == MANIFEST_SCHEMA)
}

/// Every file below `dir` (links counted as files, not followed), relative, sorted.
fn list(dir: &Path) -> Result<Vec<Entry>> {
    let mut out = vec![];
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((d, prefix)) = stack.pop() {
        let rd = std::fs::read_dir(&d)
            .map_err(|e| Error::io(format!("cannot read folder {}", d.display()), e))?;
        for e in rd {
            let e = e.map_err(|e| Error::io(format!("cannot read folder {}", d.display()), e))?;
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = format!("{prefix}{name}");
            let meta = e
                .path()
                .symlink_metadata()
                .map_err(|err| Error::io(format!("cannot read {}", e.path().display()), err))?;
            if meta.is_dir() {
                stack.push((e.path(), format!("{rel}/")));
            } else {
                out.push(Entry {
                    path: rel,
                    bytes: meta.len(),
                });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Writes `dir`'s manifest: every file in it now, written by `command`.
pub fn write_manifest(dir: &Path, command: &str) -> Result<()> {
    let files = list(dir)?
        .into_iter()
        .filter(|f| f.path != MANIFEST)
        .collect();
    let m = Manifest {
        schema: MANIFEST_SCHEMA.into(),
        command: command.into(),
        rotor_version: env!("CARGO_PKG_VERSION").into(),
        files,
    };
    let mut text = serde_json::to_string_pretty(&m).map_err(|e| Error::Other(e.to_string()))?;
    text.push('\n');
    let p = dir.join(MANIFEST);
    std::fs::write(&p, text).map_err(|e| Error::io(format!("cannot write {}", p.display()), e))
}

/// Temporary folders being filled: removed by [`clean_up_pending`] on Ctrl-C.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn pending(add: Option<&Path>, remove: Option<&Path>) {
    let mut p = PENDING.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(a) = add {
        p.push(a.to_path_buf());
    }
    if let Some(r) = remove {
        p.retain(|x| x != r);
    }
}

/// Removes every temporary folder being filled (the binary calls it on Ctrl-C, then exits).
/// Each is first renamed aside, so a writer still filling it fails instead of recreating it;
/// a folder being swapped into place holds the lock until the swap is done.
pub fn clean_up_pending() {
    let p = PENDING.lock().unwrap_or_else(|e| e.into_inner());
    for d in p.iter() {
        let mut trash = d.clone().into_os_string();
        trash.push(".trash");
        let trash = PathBuf::from(trash);
        let gone = std::fs::rename(d, &trash).map_or(d.as_path(), |_| trash.as_path());
        let _ = std::fs::remove_dir_all(gone);
    }
}

/// The temporary and set-aside siblings of `out` that a killed rotor process left behind
/// (`.NAME.tmp-PID`, `.NAME.old-PID` whose process is gone, holding rotor's manifest): removed.
fn clean_up_stale(parent: &Path, leaf: &str) {
    let Ok(rd) = std::fs::read_dir(parent) else {
        return;
    };
    let alive = |pid: &str| -> bool {
        match pid.parse::<u32>() {
            Ok(p) if p == std::process::id() => true,
            // Without /proc the liveness of a process is unknown: keep the folder.
            Ok(p) => {
                !Path::new("/proc/self").exists() || Path::new("/proc").join(p.to_string()).exists()
            }
            Err(_) => true,
        }
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(&format!(".{leaf}.")) else {
            continue;
        };
        let (kind, pid) = match rest.split_once('-') {
            Some(kp) => kp,
            None => continue,
        };
        if !(kind == "tmp" || kind == "old") || alive(pid) {
            continue;
        }
        let path = e.path();
        let out = parent.join(leaf);
        if kind == "old" && !out.exists() {
            // Killed between the two renames of a swap: the old results go back in place.
            let _ = std::fs::rename(&path, &out);
        } else if path.join(MANIFEST).is_file() {
            remove_written(&path, kind == "tmp");
        }
    }
}

/// Removes a folder rotor wrote: every file its manifest lists (all of it for a temporary
/// folder, which only rotor writes into), then the folders left empty. Anything else stays.
fn remove_written(dir: &Path, temporary: bool) {
    if temporary {
        let _ = std::fs::remove_dir_all(dir);
        return;
    }
    let Some(m) = read_manifest(dir) else {
        // Replaced only when empty (check_contents): its empty folders go.
        remove_empty_dirs(dir);
        return;
    };
    for f in &m.files {
        if is_relative_plain(&f.path) {
            let _ = std::fs::remove_file(dir.join(&f.path));
        }
    }
    let _ = std::fs::remove_file(dir.join(MANIFEST));
    remove_empty_dirs(dir);
}

/// A manifest path that stays inside its folder.
fn is_relative_plain(p: &str) -> bool {
    Path::new(p)
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
}

fn remove_empty_dirs(dir: &Path) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                remove_empty_dirs(&e.path());
            }
        }
    }
    let _ = std::fs::remove_dir(dir);
}

/// Fills a folder atomically: `fill` writes into a temporary folder beside `out`, which then
/// replaces `out` (checked again as [`check`] does). On failure nothing of the new folder
/// remains and `out` is untouched; the replaced folder loses only the files rotor wrote.
pub fn write_dir_atomically(
    out: &Path,
    command: &str,
    fill: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|e| Error::io(format!("cannot create folder {}", parent.display()), e))?;
    let leaf = out.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    clean_up_stale(parent, leaf);
    let tmp: PathBuf = parent.join(format!(".{leaf}.tmp-{}", std::process::id()));
    if tmp.join(MANIFEST).is_file() {
        // Ours from an earlier write in this process that failed to clean up.
        let _ = std::fs::remove_dir_all(&tmp);
    }
    std::fs::create_dir(&tmp).map_err(|e| {
        Error::io(
            format!("cannot create a folder beside {}", out.display()),
            e,
        )
    })?;
    pending(Some(&tmp), None);
    let result = (|| {
        // The marker first: a folder left by a killed process is known as rotor's.
        write_manifest(&tmp, command)?;
        fill(&tmp)?;
        write_manifest(&tmp, command)?;
        check_contents(out)?;
        // No Ctrl-C clean-up between the two renames of the swap.
        let mut held = PENDING.lock().unwrap_or_else(|e| e.into_inner());
        let swapped = swap(out, &tmp, parent, leaf);
        held.retain(|x| x != &tmp);
        swapped
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    pending(None, Some(&tmp));
    // Messages name the folder the user asked for, not the hidden temporary one.
    result.map_err(|e| e.with_path(&tmp, out))
}

fn swap(out: &Path, tmp: &Path, parent: &Path, leaf: &str) -> Result<()> {
    let old = parent.join(format!(".{leaf}.old-{}", std::process::id()));
    let existed = out.exists();
    if existed {
        std::fs::rename(out, &old)
            .map_err(|e| Error::io(format!("cannot replace {}", out.display()), e))?;
    }
    if let Err(e) = std::fs::rename(tmp, out) {
        if existed {
            let _ = std::fs::rename(&old, out);
        }
        return Err(Error::io(
            format!("cannot move results into {}", out.display()),
            e,
        ));
    }
    if existed {
        remove_written(&old, false);
    }
    Ok(())
}

/// Writes one file of a folder rotor wrote (`rotor report DIR`): the folder must be rotor's
/// (its manifest, every file listed), the file is replaced atomically and added to the manifest.
pub fn write_into(dir: &Path, name: &str, text: &str) -> Result<()> {
    let Some(m) = read_manifest(dir) else {
        return Err(Error::input(Diagnostic::new(
            dir,
            format!("is not a folder rotor wrote (no {MANIFEST}): rerun the command that makes it"),
        )));
    };
    check_contents(dir).map_err(|e| match e {
        Error::Input(mut d) => {
            for x in &mut d.0 {
                x.key = None;
            }
            Error::Input(d)
        }
        e => e,
    })?;
    super::write_atomically(&dir.join(name), text)?;
    write_manifest(dir, &m.command)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path) -> Vec<String> {
        list(dir).unwrap().into_iter().map(|e| e.path).collect()
    }

    #[test]
    fn replaces_only_its_own_folder_and_keeps_foreign_files() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("res");
        write_dir_atomically(&out, "run", |d| {
            std::fs::create_dir(d.join("sub")).unwrap();
            std::fs::write(d.join("sub/a.csv"), "1\n").unwrap();
            std::fs::write(d.join("b.json"), "{}").unwrap();
            Ok(())
        })
        .unwrap();
        assert_eq!(files(&out), ["b.json", MANIFEST, "sub/a.csv"]);
        // Rewritten: fine, and nothing temporary is left beside it.
        write_dir_atomically(&out, "run", |d| {
            std::fs::write(d.join("c.txt"), "x").unwrap();
            Ok(())
        })
        .unwrap();
        assert_eq!(files(&out), ["c.txt", MANIFEST]);
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);
        // A user's file in it: refused before and at the swap; the file survives.
        std::fs::write(out.join("notes.txt"), "mine").unwrap();
        let e = check(&out, &[]).unwrap_err().user_message();
        assert!(
            e.contains("holds notes.txt, which rotor did not write"),
            "{e}"
        );
        let e = write_dir_atomically(&out, "run", |_| Ok(())).unwrap_err();
        assert!(e.user_message().contains("notes.txt"));
        assert_eq!(
            std::fs::read_to_string(out.join("notes.txt")).unwrap(),
            "mine"
        );
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);
        // A listed file edited by hand counts as the user's.
        std::fs::remove_file(out.join("notes.txt")).unwrap();
        std::fs::write(out.join("c.txt"), "edited").unwrap();
        let e = check(&out, &[]).unwrap_err().user_message();
        assert!(e.contains("c.txt, changed since rotor wrote it"), "{e}");
    }

    #[test]
    fn refuses_files_foreign_folders_and_input_holders() {
        let root = tempfile::tempdir().unwrap();
        let strat = root.path().join("strats");
        std::fs::create_dir(&strat).unwrap();
        std::fs::write(strat.join("a.toml"), "x").unwrap();
        let e = check(&strat, &[]).unwrap_err().user_message();
        assert!(
            e.contains("holds a.toml, which rotor did not write (the folder has no"),
            "{e}"
        );
        // The folder holding an input, and its ancestors, whatever their contents.
        let input = strat.join("a.toml");
        for dir in [strat.clone(), root.path().to_path_buf()] {
            let e = check(&dir, &[&input]).unwrap_err().user_message();
            assert!(e.contains("holds the input"), "{e}");
        }
        let file = root.path().join("f.txt");
        std::fs::write(&file, "x").unwrap();
        let e = check(&file, &[]).unwrap_err().user_message();
        assert!(e.contains("is a file, not a folder"), "{e}");
        // The working folder and its ancestors.
        let e = check(Path::new("."), &[]).unwrap_err().user_message();
        assert!(e.contains("is the working folder"), "{e}");
        let e = check(Path::new(".."), &[]).unwrap_err().user_message();
        assert!(e.contains("holds the working folder"), "{e}");
        // Missing and empty folders are fine.
        check(&root.path().join("new/deeper"), &[&input]).unwrap();
        std::fs::create_dir(root.path().join("empty")).unwrap();
        check(&root.path().join("empty"), &[&input]).unwrap();
    }

    #[test]
    fn a_failed_fill_leaves_nothing_and_stale_temporaries_are_removed() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("res");
        let e = write_dir_atomically(&out, "run", |d| {
            std::fs::write(d.join("half.csv"), "1").unwrap();
            Err(Error::Other("boom".into()))
        });
        assert!(e.is_err());
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
        // Messages name the folder asked for, not the hidden temporary one.
        let e = write_dir_atomically(&out, "run", |d| {
            Err(Error::io(
                format!("cannot write {}", d.join("x.csv").display()),
                std::io::Error::other("disk full"),
            ))
        })
        .unwrap_err()
        .user_message();
        assert!(e.contains(&out.join("x.csv").display().to_string()), "{e}");
        assert!(!e.contains(".tmp-"), "{e}");
        // A killed process's temporary folder (a pid that cannot be alive) holding the marker
        // goes; a look-alike without the marker stays.
        let stale = root.path().join(".res.tmp-4294967290");
        std::fs::create_dir(&stale).unwrap();
        write_manifest(&stale, "run").unwrap();
        let foreign = root.path().join(".res.tmp-4294967291");
        std::fs::create_dir(&foreign).unwrap();
        std::fs::write(foreign.join("x"), "x").unwrap();
        write_dir_atomically(&out, "run", |_| Ok(())).unwrap();
        if Path::new("/proc/self").exists() {
            assert!(!stale.exists());
        }
        assert!(foreign.join("x").exists());
        // An empty folder given as --out is replaced without a trace.
        let empty = root.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        write_dir_atomically(&empty, "run", |_| Ok(())).unwrap();
        let names: Vec<String> = std::fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.contains(".old-")), "{names:?}");
        // Killed between the renames of a swap (the old folder aside, none in place): the old
        // results come back before anything else happens.
        let kept = root.path().join("kept");
        write_dir_atomically(&kept, "run", |d| {
            std::fs::write(d.join("a.csv"), "1").unwrap();
            Ok(())
        })
        .unwrap();
        let aside = root.path().join(".kept.old-4294967292");
        std::fs::rename(&kept, &aside).unwrap();
        if Path::new("/proc/self").exists() {
            clean_up_stale(root.path(), "kept");
            assert!(kept.join("a.csv").is_file() && !aside.exists());
        }
    }
}
