//! The real definitions files of `../shared/real-definitions/` (RabbitMQ's
//! own exports and import test data, and files people wrote, from public
//! repositories; `SOURCES.md` there says whose). Read from there at test
//! time, never copied into this repository.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The corpus's directory, beside the repository.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/real-definitions")
}

/// Every file of the corpus, sorted by name (`01-…` to `24-…`). Fails,
/// never skips, when the corpus is not there.
pub fn corpus() -> Vec<PathBuf> {
    let dir = corpus_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (the shared folder with the real definitions files sits beside the \
                 repository)",
                dir.display()
            )
        })
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 24, "the corpus holds 24 files");
    files
}

/// The file of the corpus numbered `number` (`"07"`).
pub fn numbered(number: &str) -> PathBuf {
    corpus()
        .into_iter()
        .find(|f| {
            f.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{number}-")))
        })
        .unwrap_or_else(|| panic!("no file {number}-… in the corpus"))
}

/// The two-digit number of a corpus file.
pub fn number_of(file: &Path) -> String {
    file.file_name().unwrap().to_str().unwrap()[..2].to_string()
}

/// A definitions file made to run in a test: its vhosts renamed by
/// `rename` (every object's `vhost` with them), its users by `rename_user`
/// (every permission's `user` with them: a file's `guest` must not become
/// the shared broker's), and the top-level keys `drop` removed.
pub fn adapted(
    file: &Path,
    rename: impl Fn(&str) -> String,
    rename_user: impl Fn(&str) -> String,
    drop: &[&str],
) -> Adapted {
    let text = std::fs::read_to_string(file).unwrap();
    let mut definitions: Value = serde_json::from_str(&text).unwrap();
    let object = definitions.as_object_mut().unwrap();
    for key in drop {
        object.remove(*key);
    }
    let mut vhosts = BTreeMap::new();
    if let Some(Value::Array(list)) = object.get_mut("vhosts") {
        for vhost in list {
            let old = vhost["name"].as_str().unwrap().to_string();
            let new = rename(&old);
            vhost["name"] = Value::String(new.clone());
            vhosts.insert(old, new);
        }
    }
    let mut users = BTreeMap::new();
    if let Some(Value::Array(list)) = object.get_mut("users") {
        for user in list {
            let old = user["name"].as_str().unwrap().to_string();
            let new = rename_user(&old);
            user["name"] = Value::String(new.clone());
            users.insert(old, new);
        }
    }
    for (key, list) in object.iter_mut() {
        if key == "vhosts" || key == "users" {
            continue;
        }
        if let Value::Array(items) = list {
            for item in items {
                if let Some(Value::String(vhost)) = item.get_mut("vhost") {
                    if let Some(new) = vhosts.get(vhost.as_str()) {
                        *vhost = new.clone();
                    }
                }
                if let Some(Value::String(user)) = item.get_mut("user") {
                    if let Some(new) = users.get(user.as_str()) {
                        *user = new.clone();
                    }
                }
            }
        }
    }
    Adapted {
        definitions,
        vhosts,
        users,
    }
}

/// A corpus file as a test runs it.
#[derive(Debug, Clone)]
pub struct Adapted {
    pub definitions: Value,
    /// Each vhost of the file, and its name in the test.
    pub vhosts: BTreeMap<String, String>,
    /// Each user of the file, and its name in the test.
    pub users: BTreeMap<String, String>,
}
