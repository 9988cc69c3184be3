//! Publisher notes: an optional `sources.toml` beside data files says who published them
//! (`publisher`, `note` for the folder, `[files] "NAME.csv" = "note"` for one file). rotor copies
//! the notes into `stats.json` and the report; it reads no other file of the folder.

use crate::error::{Diagnostics, Result};
use crate::spec::reader::{Cx, Table};
use crate::spec::value::{self, Value};
use std::path::Path;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Source {
    pub publisher: Option<String>,
    pub note: Option<String>,
}

/// The notes for the data file `path` from `sources.toml` in its folder (none when absent).
pub fn of(path: &Path) -> Result<Source> {
    let Some(dir) = path.parent() else {
        return Ok(Source::default());
    };
    let file = dir.join("sources.toml");
    let Ok(text) = std::fs::read_to_string(&file) else {
        return Ok(Source::default());
    };
    let doc = value::parse_file(&file, &text)?;
    let mut cx = Cx {
        path: &file,
        text: &text,
        diags: Diagnostics::default(),
    };
    let mut top = Table::new("", &doc, 0..text.len());
    let mut s = Source {
        publisher: top.string(&mut cx, "publisher").map(|v| v.0),
        note: top.string(&mut cx, "note").map(|v| v.0),
    };
    if let Some(files) = top.table(&mut cx, "files") {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        for (k, node) in files.entries {
            match node.get_ref() {
                Value::String(n) if k.get_ref() == name => s.note = Some(n.clone()),
                Value::String(_) => {}
                other => cx.err(
                    &node.span(),
                    &format!("files.{}", k.get_ref()),
                    format!("expected a note in a string, found {}", other.type_name()),
                ),
            }
        }
    }
    top.finish(&mut cx, &["publisher", "note", "files"]);
    cx.diags.into_result(s)
}
