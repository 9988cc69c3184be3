//! Publisher notes: an optional `sources.toml` beside data files says who published them
//! (`publisher`, `note` for the folder, `[files] "NAME.csv" = "note"` for one file). rotor copies
//! the notes into `stats.json` and the report; it reads no other file of the folder.

use crate::error::{Diagnostics, Error, Result};
use crate::spec::reader::{Cx, Table};
use crate::spec::value;
use std::path::Path;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Source {
    pub publisher: Option<String>,
    pub note: Option<String>,
}

/// A folder's `sources.toml`, read and checked once.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Folder {
    folder: Source,
    /// (file name, note) from `[files]`.
    files: Vec<(String, String)>,
}

impl Folder {
    /// The notes of folder `dir` (none when it has no `sources.toml`).
    pub fn read(dir: &Path) -> Result<Folder> {
        let file = dir.join("sources.toml");
        let text = match crate::error::read_text(&file, "publisher notes") {
            Ok(t) => t,
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Folder::default())
            }
            Err(e) => return Err(e),
        };
        let doc = value::parse_file(&file, &text)?;
        let mut cx = Cx {
            path: &file,
            text: &text,
            diags: Diagnostics::default(),
        };
        let mut top = Table::new("", &doc, 0..text.len());
        let folder = Source {
            publisher: top.string(&mut cx, "publisher").map(|v| v.0),
            note: top.string(&mut cx, "note").map(|v| v.0),
        };
        let files = top
            .table(&mut cx, "files")
            .map(|t| t.strings(&mut cx, "a note in a string"))
            .unwrap_or_default();
        top.finish(&mut cx, &["publisher", "note", "files"]);
        cx.diags.into_result(Folder { folder, files })
    }

    /// The notes for the data file `path` of this folder: its own note, else the folder's.
    pub fn of(&self, path: &Path) -> Source {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let own = self.files.iter().find(|(f, _)| f == name);
        Source {
            publisher: self.folder.publisher.clone(),
            note: own
                .map(|(_, n)| n.clone())
                .or_else(|| self.folder.note.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_and_file_notes_and_errors_with_line() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Folder::read(dir.path()).unwrap(), Folder::default());
        std::fs::write(
            dir.path().join("sources.toml"),
            "publisher = \"P\"\nnote = \"folder note\"\n[files]\n\"a.csv\" = \"own note\"\n",
        )
        .unwrap();
        let f = Folder::read(dir.path()).unwrap();
        let a = f.of(&dir.path().join("a.csv"));
        assert_eq!(
            (a.publisher.as_deref(), a.note.as_deref()),
            (Some("P"), Some("own note"))
        );
        let b = f.of(&dir.path().join("b.csv"));
        assert_eq!(b.note.as_deref(), Some("folder note"));
        std::fs::write(
            dir.path().join("sources.toml"),
            "publisher = 1\n[files]\n\"a.csv\" = 2\n",
        )
        .unwrap();
        let e = Folder::read(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("sources.toml:1:13: `publisher`: expected a string"),
            "{e}"
        );
        assert!(
            e.contains("sources.toml:3:11: `files.a.csv`: expected a note"),
            "{e}"
        );
    }
}
