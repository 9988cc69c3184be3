//! Golden tests of what users read: every case in `tests/ui/<case>/` runs the `rotor` binary
//! with the arguments in its `cmd` file, in a fresh copy of `tests/ui/inputs/`, and compares
//! stdout, stderr and the exit code with the case's `stdout`, `stderr` and `status` files, byte
//! for byte. `ROTOR_BLESS=1 cargo test --test ui` rewrites the expected files from this build
//! (then read the diff before committing it).

use std::path::{Path, PathBuf};
use std::process::Command;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// The case's arguments: `cmd` holds one argument per line (so paths and expressions need no
/// quoting); blank lines and lines starting with `#` are skipped.
fn args(case: &Path) -> Vec<String> {
    std::fs::read_to_string(case.join("cmd"))
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

#[test]
fn ui() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui");
    let bless = std::env::var("ROTOR_BLESS").is_ok_and(|v| v == "1");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("cmd").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 20, "only {} ui cases found", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let work = tempfile::tempdir().unwrap();
        copy_dir(&root.join("inputs"), work.path());
        let out = Command::new(env!("CARGO_BIN_EXE_rotor"))
            .args(args(case))
            .current_dir(work.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let got = [
            ("stdout", String::from_utf8_lossy(&out.stdout).into_owned()),
            ("stderr", String::from_utf8_lossy(&out.stderr).into_owned()),
            ("status", format!("{}\n", out.status.code().unwrap_or(-1))),
        ];
        for (file, text) in got {
            let path = case.join(file);
            if bless {
                std::fs::write(&path, &text).unwrap();
                continue;
            }
            let want = std::fs::read_to_string(&path).unwrap_or_default();
            if want != text {
                failures.push(format!(
                    "{}/{file} differs\n--- expected\n{want}--- got\n{text}",
                    case.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} ui mismatches (ROTOR_BLESS=1 rewrites them):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
