//! The crate's modules form layers, and each imports only from the layers below it (issue 20):
//! no cycle, `stats` on plain slices below everything that produces runs, `data` below
//! `signal` and `stats`' users, `sweep` below `report`. The test reads `src/` itself: every
//! `crate::module` path outside comments and `#[cfg(test)]` code is an import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Bottom first. A module may use any module of a lower layer, none of its own or above.
const LAYERS: &[&[&str]] = &[
    &["date", "error"],
    &["conventions", "expr"],
    &["stats"],
    &["spec"],
    &["data"],
    &["plan"],
    &["signal"],
    &["sim"],
    &["events", "sweep", "plot"],
    &["report"],
    &["pipeline"],
    &["check"],
    &["commands"],
];

/// The source of a file without its comments (line comments and doc comments; block comments
/// are not used in this crate) and without its `#[cfg(test)]` items (a test module may sit
/// anywhere in a file, with code after it).
fn code(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        // A `//` inside a string literal ("https://...") would cut a line short; no module path
        // follows one on the same line in this crate, so cutting is safe.
        let keep = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        out.push_str(keep);
        out.push('\n');
    }
    while let Some(at) = out.find("#[cfg(test)]") {
        let end = item_end(&out, at);
        out.replace_range(at..end, "");
    }
    out
}

/// The end of the item starting at `at`: past the `}` that closes its first `{` (braces inside
/// string and character literals are not counted), or past its `;` when it has no body.
fn item_end(text: &str, at: usize) -> usize {
    let b = text.as_bytes();
    let (mut i, mut depth) = (at + "#[cfg(test)]".len(), 0usize);
    while i < b.len() {
        match b[i] {
            b'"' => {
                // A string: to its closing quote, escapes skipped (raw strings hold no `"#`
                // before their end in this crate's tests, so the same rule finds their end).
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'\'' if i + 2 < b.len() && b[i + 2] == b'\'' => i += 2,
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            b';' if depth == 0 => return i + 1,
            _ => {}
        }
        i += 1;
    }
    b.len()
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top-level modules named by `crate::x` paths and `use crate::{x, y::z}` groups.
fn imports(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // The names at the group's first level: `{a::b, c, d::{e, f}}` names a, c and d.
            let mut depth = 1;
            let mut at_name = true;
            for (k, ch) in group.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => at_name = true,
                    c if at_name && depth == 1 && (c.is_ascii_alphabetic() || c == '_') => {
                        out.insert(ident(&group[k..]).to_owned());
                        at_name = false;
                    }
                    _ => {}
                }
            }
        } else {
            out.insert(ident(rest).to_owned());
        }
    }
    out
}

/// Module name -> the modules it imports, for every top-level module of `src/`.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let rel = path.strip_prefix(&src).unwrap();
            let first = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_str()
                .unwrap();
            let module = first.trim_end_matches(".rs").to_owned();
            // The crate root and the binary sit above every module.
            if ["lib", "main", "cli"].contains(&module.as_str()) {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // `super::` as many times as the file is deep inside its top-level module, plus
            // one, names the crate root: `super::x` in src/m.rs or src/m/mod.rs is crate::x.
            let parts = rel.components().count();
            let depth = parts - 1 - usize::from(rel.ends_with("mod.rs"));
            let code = code(&text).replace(&"super::".repeat(depth + 1), "crate::");
            let mut used = imports(&code);
            used.remove(&module);
            g.entry(module).or_default().extend(used);
        }
    }
    g
}

#[test]
fn every_module_imports_only_from_the_layers_below_it() {
    let g = graph();
    let layer_of = |m: &str| LAYERS.iter().position(|l| l.contains(&m));
    let mut wrong = vec![];
    for (m, used) in &g {
        let Some(own) = layer_of(m) else {
            wrong.push(format!("`{m}` is in no layer of tests/layers.rs: place it"));
            continue;
        };
        for u in used {
            // `crate::x` where x is not a module (a re-exported item such as `crate::Result`).
            let Some(theirs) = layer_of(u) else {
                assert!(!g.contains_key(u.as_str()), "`{u}` is a module in no layer");
                continue;
            };
            if theirs >= own {
                wrong.push(format!(
                    "`{m}` (layer {own}) imports `{u}` (layer {theirs}): a module imports only from lower layers"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Every layer's module exists (a renamed module must be renamed here too).
    for m in LAYERS.iter().flat_map(|l| l.iter()) {
        assert!(g.contains_key(*m), "no module `{m}` in src/");
    }
}

/// The reader of the test itself, on the shapes it must see through.
#[test]
fn imports_are_read_from_paths_and_groups_not_comments() {
    let text = "use crate::data::Panel;\nuse crate::{sim::{self, Runs}, stats, date::Date};\n\
                /// see [`crate::report`]\nfn f() { crate::error::count(1, \"a\", \"b\"); } // crate::plot\n\
                #[cfg(test)]\nmod tests { use crate::sweep; }\n";
    let got: Vec<String> = imports(&code(text)).into_iter().collect();
    assert_eq!(got, ["data", "date", "error", "sim", "stats"]);
    // Code after a test module counts; braces in its strings and characters do not end it.
    let text = "#[cfg(test)]\nmod tests { fn f() { let _ = (\"{\", '}'); crate::plot::x(); } }\nfn g() { crate::report::y(); }\n#[cfg(test)]\nuse crate::events;\n";
    let got: Vec<String> = imports(&code(text)).into_iter().collect();
    assert_eq!(got, ["report"]);
}
