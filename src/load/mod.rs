//! Files to a desired [`Topology`]: reading paths (files or directories,
//! YAML or definitions-export JSON), merging them in a stable order, and
//! validating the result. Every error names the file and the object.
//!
//! Only this module and its `parse` step read files, each once; the rules
//! in [`rules`] are pure functions of a parsed topology, and their
//! findings are given a file, an object label and a position here, from
//! the [`Origins`] (with the positions of every object and field) kept
//! while reading and merging.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::model::{Counts, Topology};

mod de;
mod foresee;
mod parse;
mod quick;
mod secrets;
mod variables;
mod yaml;

use crate::rules::{self, Finding, ObjectRef, Section, Severity};
pub use foresee::{Foreseen, foresee};
/// For the fuzz target `yaml`: whether the quick reading of plain YAML
/// ever differs from saphyr-parser's.
#[doc(hidden)]
pub use quick::disagreement as quick_reading_disagreement;
pub use variables::{VariableValue, Variables, is_name as is_variable_name};
pub use yaml::{MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, Position};

/// The result of loading and validating files.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub topology: Topology,
    /// The files read, in the order they were merged.
    pub files: Vec<PathBuf>,
    pub warnings: Vec<Diagnostic>,
    /// Where each object of `topology` was written.
    pub origins: Origins,
}

/// Loading failed: every error found, and the warnings seen on the way.
#[derive(Debug, Clone)]
pub struct LoadFailed {
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
    /// The files found, in the order they were read (some may not have
    /// parsed).
    pub files: Vec<PathBuf>,
    /// The objects that did parse, per kind.
    pub counts: Counts,
}

/// One error or warning, located as precisely as it can be.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub file: Option<String>,
    /// `bindings[2] events -> order.events`
    pub object: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic about a whole file.
    pub fn in_file(file: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: Some(file.into()),
            object: None,
            line: None,
            column: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    /// `FILE:LINE:COL: OBJECT: MESSAGE`, leaving out the parts it lacks.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            f.write_str(file)?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
                if let Some(column) = self.column {
                    write!(f, ":{column}")?;
                }
            }
            f.write_str(": ")?;
        }
        if let Some(object) = &self.object {
            write!(f, "{object}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Where an object was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// Index of the file in [`Loaded::files`].
    pub file: usize,
    /// Index of the object in its list, counted per file (across the
    /// file's YAML documents): `queues[3]` is the file's fourth queue.
    pub index: usize,
    /// The YAML document of the file (0 unless it holds several, `---`).
    pub document: usize,
    /// Index of the object in its list within that document.
    pub item: usize,
    /// Where the object starts.
    pub at: Position,
    /// Its fields' entries in [`Origins::fields`].
    fields: std::ops::Range<u32>,
}

/// Where the fields of every object loaded are written, and the keys of
/// the mappings they hold (`arguments` then `x-expires`): one table for
/// the whole load, its keys interned, so a position costs a few bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPositions {
    keys: Vec<Box<str>>,
    ids: std::collections::HashMap<Box<str>, u32>,
    entries: Vec<(u32, Position)>,
}

impl FieldPositions {
    /// Records that the field at `path` (one key, or a key and the key
    /// inside it) is written at `at`.
    fn record(&mut self, path: &[&str], at: Position) {
        // A field of the object itself, the common case, is its key as it
        // is: no joined copy to make for each of thousands of objects.
        let joined;
        let key = match path {
            [key] => *key,
            _ => {
                joined = path.join("\0");
                joined.as_str()
            }
        };
        // The keys of a topology are few: looking through them is quicker
        // than hashing, until a file writes many (arguments' own keys).
        let known = if self.keys.len() <= 32 {
            self.keys
                .iter()
                .position(|k| **k == *key)
                .map(|id| id as u32)
        } else {
            self.ids.get(key).copied()
        };
        let id = match known {
            Some(id) => id,
            None => {
                let id = self.keys.len() as u32;
                self.keys.push(key.into());
                self.ids.insert(key.into(), id);
                id
            }
        };
        self.entries.push((id, at));
    }

    fn len(&self) -> u32 {
        self.entries.len() as u32
    }

    fn find(&self, fields: &std::ops::Range<u32>, path: &[String]) -> Option<Position> {
        let id = *self.ids.get(path.join("\0").as_str())?;
        self.entries[fields.start as usize..fields.end as usize]
            .iter()
            .find(|(key, _)| *key == id)
            .map(|&(_, at)| at)
    }
}

/// The origin of every object of a merged topology, list by list, in the
/// same order as the topology's lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origins {
    /// One list per [`Section`], in its order.
    lists: [Vec<Origin>; Section::COUNT],
    /// Where the objects' fields are written.
    pub fields: FieldPositions,
}

impl Origins {
    pub fn get(&self, section: Section) -> &[Origin] {
        &self.lists[section as usize]
    }

    fn get_mut(&mut self, section: Section) -> &mut Vec<Origin> {
        &mut self.lists[section as usize]
    }

    /// Where the value at `field` (`[arguments, x-expires]`) of the object
    /// from `origin` is written, if it is.
    pub fn field(&self, origin: &Origin, field: &[String]) -> Option<Position> {
        self.fields.find(&origin.fields, field)
    }

    /// How many objects and field positions there are: a mark to go back
    /// to with [`Origins::truncate`].
    fn mark(&self) -> ([usize; Section::COUNT], u32) {
        (self.lists.each_ref().map(Vec::len), self.fields.len())
    }

    /// Forgets what was recorded after `mark`.
    fn truncate(&mut self, (lengths, fields): ([usize; Section::COUNT], u32)) {
        for (list, length) in self.lists.iter_mut().zip(lengths) {
            list.truncate(length);
        }
        self.fields.entries.truncate(fields as usize);
    }
}

impl Loaded {
    /// What the broker described by `broker` would refuse in the loaded
    /// files ([`rules::check_against`]), each error placed like a load's.
    pub fn refused_by(&self, broker: &rules::BrokerFacts) -> Vec<Diagnostic> {
        let names: Vec<String> = self.files.iter().map(|f| f.display().to_string()).collect();
        let placer = Placer {
            topology: &self.topology,
            origins: &self.origins,
            names: &names,
        };
        let mut errors: Vec<Diagnostic> = rules::check_against(&self.topology, broker)
            .into_iter()
            .map(|finding| placer.diagnostic(finding))
            .collect();
        sort_by_place(&mut errors, &names);
        errors
    }
}

/// The directory read when no path is given.
pub const DEFAULT_DIRECTORY: &str = "topologies";

/// Loads, merges and validates `paths` (`./topologies/` when empty).
pub fn load(paths: &[PathBuf]) -> Result<Loaded, LoadFailed> {
    load_observing(paths, None, |_| {})
}

/// [`load`] for a target: its `${name}` references are put in from
/// `variables` (see [`Variables`]); without variables, as [`load`].
pub fn load_with(paths: &[PathBuf], variables: Option<&Variables>) -> Result<Loaded, LoadFailed> {
    load_observing(paths, variables, |_| {})
}

/// [`load_with`], showing `observe` each file's bytes as soon as they are
/// read, before they are parsed (see [`foresee`]).
pub fn load_observing(
    paths: &[PathBuf],
    variables: Option<&Variables>,
    mut observe: impl FnMut(&[u8]),
) -> Result<Loaded, LoadFailed> {
    let default = [PathBuf::from(DEFAULT_DIRECTORY)];
    let paths = if paths.is_empty() { &default } else { paths };
    let (files, errors) = resolve_files(paths);
    let names = files.clone();
    // Each file is read when its turn comes, so one is held at a time.
    let read = |index: usize| {
        let bytes = read_at_most_limit(&names[index])?;
        observe(&bytes);
        Ok(bytes)
    };
    load_contents(files, read, errors, variables)
}

/// Loads, merges and validates files given as `(name, bytes)`, each name
/// standing for a path in messages: what [`load`] does once it has read its
/// files. For tests and the fuzz target, which have no files.
pub fn load_sources(sources: Vec<(String, Vec<u8>)>) -> Result<Loaded, LoadFailed> {
    let files = sources
        .iter()
        .map(|(name, _)| PathBuf::from(name))
        .collect();
    let mut contents: Vec<Option<Vec<u8>>> =
        sources.into_iter().map(|(_, bytes)| Some(bytes)).collect();
    load_contents(
        files,
        |index| Ok(contents[index].take().unwrap_or_default()),
        Vec::new(),
        None,
    )
}

/// A file's bytes, but no more than one byte past [`MAX_FILE_BYTES`]: enough
/// for the parser to refuse it, without reading a huge (or endless) file.
fn read_at_most_limit(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let limit = MAX_FILE_BYTES as u64 + 1;
    // Sized up front: growing the buffer would copy a large file twice.
    let size = file.metadata().map_or(0, |m| m.len()).min(limit);
    let mut bytes = Vec::with_capacity(size as usize + 1);
    file.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Parses each file's contents (`read` of its index) in turn, merges them
/// and validates the result. `errors` holds those found while looking for
/// the files; `variables` are the target's, if any.
fn load_contents(
    files: Vec<PathBuf>,
    mut read: impl FnMut(usize) -> std::io::Result<Vec<u8>>,
    mut errors: Vec<Diagnostic>,
    variables: Option<&Variables>,
) -> Result<Loaded, LoadFailed> {
    let mut warnings = Vec::new();
    let mut topology = Topology::default();
    let mut origins = Origins::default();
    let mut unresolved = Vec::new();
    for (index, path) in files.iter().enumerate() {
        let name = path.display().to_string();
        let bytes = match read(index) {
            Ok(bytes) => bytes,
            Err(err) => {
                errors.push(Diagnostic::in_file(
                    name,
                    format!("cannot read the file: {err}"),
                ));
                continue;
            }
        };
        let parsed = parse::parse_file(index, &name, &bytes, &mut origins, variables);
        drop(bytes);
        unresolved.extend(parsed.unresolved);
        errors.extend(parsed.errors);
        warnings.extend(parsed.warnings);
        topology.extend(parsed.topology);
    }

    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let settled = rules::settle(&mut topology);
    let mut findings = settled.findings;
    findings.extend(rules::validate(&topology));
    let placer = Placer {
        topology: &topology,
        origins: &origins,
        names: &names,
    };
    let mut left_out = Vec::new();
    for finding in findings {
        if finding.leaves_out {
            left_out.push(finding.object);
        }
        let severity = finding.severity;
        let diagnostic = placer.diagnostic(finding);
        match severity {
            Severity::Error => errors.push(diagnostic),
            Severity::Warning => warnings.push(diagnostic),
        }
    }
    if !unresolved.is_empty() {
        drop_said_at(&mut errors, &unresolved);
        drop_said_at(&mut warnings, &unresolved);
        errors.extend(unresolved);
    }
    left_out.extend(settled.merged);
    leave_out(&mut topology, &mut origins, &left_out);
    sort_by_place(&mut errors, &names);
    sort_by_place(&mut warnings, &names);

    if errors.is_empty() {
        Ok(Loaded {
            topology,
            files,
            warnings,
            origins,
        })
    } else {
        Err(LoadFailed {
            errors,
            warnings,
            counts: topology.counts(),
            files,
        })
    }
}

/// Drops what was said at a variable reference that could not be put in
/// (`said`, the errors saying so): that what stands there as written is,
/// say, a string where a number belongs follows from it.
fn drop_said_at(errors: &mut Vec<Diagnostic>, said: &[Diagnostic]) {
    let place = |d: &Diagnostic| (d.file.clone(), d.line, d.column);
    let places: HashSet<_> = said.iter().map(place).collect();
    errors.retain(|e| e.line.is_none() || !places.contains(&place(e)));
}

/// Removes the objects `left_out` from the topology and from the origins
/// kept in step with it.
fn leave_out(topology: &mut Topology, origins: &mut Origins, left_out: &[ObjectRef]) {
    if left_out.is_empty() {
        return;
    }
    let left_out: HashSet<ObjectRef> = left_out.iter().copied().collect();
    let left_out = &left_out;
    fn retain<T>(list: &mut Vec<T>, section: Section, left_out: &HashSet<ObjectRef>) {
        let mut index = 0;
        list.retain(|_| {
            let keep = !left_out.contains(&ObjectRef { section, index });
            index += 1;
            keep
        });
    }
    retain(&mut topology.vhosts, Section::Vhosts, left_out);
    retain(&mut topology.exchanges, Section::Exchanges, left_out);
    retain(&mut topology.queues, Section::Queues, left_out);
    retain(&mut topology.bindings, Section::Bindings, left_out);
    retain(&mut topology.policies, Section::Policies, left_out);
    retain(&mut topology.routes, Section::Routes, left_out);
    if let Some(users) = &mut topology.users {
        retain(users, Section::Users, left_out);
    }
    if let Some(permissions) = &mut topology.permissions {
        retain(permissions, Section::Permissions, left_out);
    }
    if let Some(topic_permissions) = &mut topology.topic_permissions {
        retain(topic_permissions, Section::TopicPermissions, left_out);
    }
    if let Some(parameters) = &mut topology.parameters {
        retain(parameters, Section::Parameters, left_out);
    }
    if let Some(global_parameters) = &mut topology.global_parameters {
        retain(global_parameters, Section::GlobalParameters, left_out);
    }
    for section in Section::ALL {
        retain(origins.get_mut(section), section, left_out);
    }
}

/// The files named by `paths`: files as given, directories expanded to
/// their `*.yaml`, `*.yml` and `*.json` files sorted by name (not
/// recursively). A file named twice is read once.
fn resolve_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let mut add = |file: PathBuf, files: &mut Vec<PathBuf>| {
        let key = std::fs::canonicalize(&file).unwrap_or_else(|_| file.clone());
        if seen.insert(key) {
            files.push(file);
        }
    };
    for path in paths {
        let name = path.display().to_string();
        match std::fs::metadata(path) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let hint = if path.as_os_str() == DEFAULT_DIRECTORY {
                    " (give the files to read, or run `warren init`)"
                } else {
                    ""
                };
                errors.push(Diagnostic::in_file(
                    name,
                    format!("no such file or directory{hint}"),
                ));
            }
            Err(err) => errors.push(Diagnostic::in_file(name, format!("cannot read: {err}"))),
            Ok(meta) if meta.is_dir() => match topology_files_in(path) {
                Ok(found) if found.is_empty() => errors.push(Diagnostic::in_file(
                    name,
                    "the directory holds no *.yaml, *.yml or *.json file",
                )),
                Ok(found) => found.into_iter().for_each(|f| add(f, &mut files)),
                Err(err) => errors.push(Diagnostic::in_file(
                    name,
                    format!("cannot read the directory: {err}"),
                )),
            },
            Ok(_) => add(path.clone(), &mut files),
        }
    }
    (files, errors)
}

fn topology_files_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let is_topology = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"));
        // Not `is_file`: a dangling link or an unreadable entry is read, and
        // its error reported, rather than skipped (a skipped file's objects
        // would look deleted to --prune).
        if is_topology && !path.is_dir() {
            found.push(path);
        }
    }
    found.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(found)
}

/// Diagnostics in file order; within a file, those about the whole file
/// first, then by position.
fn sort_by_place(diagnostics: &mut [Diagnostic], names: &[String]) {
    diagnostics.sort_by_key(|d| {
        let file = d
            .file
            .as_ref()
            .and_then(|f| names.iter().position(|n| n == f));
        (file.map_or(0, |i| i + 1), d.line, d.column)
    });
}

/// Turns validation findings into diagnostics: file, object label and
/// position.
struct Placer<'a> {
    topology: &'a Topology,
    origins: &'a Origins,
    names: &'a [String],
}

impl Placer<'_> {
    fn diagnostic(&self, finding: Finding) -> Diagnostic {
        let (file, object, position) = self.place(finding.object, &finding.field);
        let mut message = finding.message;
        if let Some(other) = finding.related {
            let (file, object, position) = self.place(other, &[]);
            message.push_str(&format!(
                " (first declared at {file}:{}:{}, {object})",
                position.line, position.column
            ));
        }
        Diagnostic {
            file: Some(file),
            object: Some(shorten(&object)),
            line: Some(position.line),
            column: Some(position.column),
            message: shorten(&message),
        }
    }

    /// The file, the label and the position of an object: of its field
    /// when the field is written, else of the object itself (the field may
    /// be a default, like an unwritten `vhost: /`).
    fn place(&self, object: ObjectRef, field: &[String]) -> (String, String, Position) {
        let origin = &self.origins.get(object.section)[object.index];
        let file = self.names[origin.file].clone();
        let label = object
            .section
            .label(origin.index, &rules::object_name(self.topology, object));
        let position = self.origins.field(origin, field).unwrap_or(origin.at);
        (file, label, position)
    }
}

/// Messages and labels longer than this are shortened in the middle.
const MAX_SHOWN_BYTES: usize = 1024;

/// `text`, or for a long one (a label or message quoting a megabyte name)
/// its start and end around a note of how much was left out, so an error
/// about a huge value is not itself huge.
fn shorten(text: &str) -> String {
    if text.len() <= MAX_SHOWN_BYTES {
        return text.to_string();
    }
    let keep = MAX_SHOWN_BYTES * 2 / 5;
    let head_end = (0..=keep)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let tail_start = (text.len() - keep..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    format!(
        "{}…[{} bytes left out]…{}",
        &text[..head_end],
        tail_start - head_end,
        &text[tail_start..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_long_text_is_shortened_in_the_middle() {
        assert_eq!(shorten("short"), "short");
        let long = format!("queue '{}é' is not declared", "q".repeat(10 << 20));
        let shown = shorten(&long);
        assert!(shown.len() < 2 * MAX_SHOWN_BYTES, "{}", shown.len());
        assert!(shown.starts_with("queue 'qqq"), "{shown}");
        assert!(shown.ends_with("qqé' is not declared"), "{shown}");
        assert!(shown.contains(" bytes left out]…"), "{shown}");
    }

    #[test]
    fn a_diagnostic_prints_only_the_parts_it_has() {
        let mut d = Diagnostic {
            file: Some("a.yaml".into()),
            object: Some("queues[0] q".into()),
            line: Some(3),
            column: Some(5),
            message: "bad".into(),
        };
        assert_eq!(d.to_string(), "a.yaml:3:5: queues[0] q: bad");
        d.column = None;
        assert_eq!(d.to_string(), "a.yaml:3: queues[0] q: bad");
        d.line = None;
        d.object = None;
        assert_eq!(d.to_string(), "a.yaml: bad");
    }

    #[test]
    fn a_directory_is_read_in_name_order_and_other_files_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "b.yml", "queues: [{name: b}]");
        write(
            dir.path(),
            "a.yaml",
            "vhosts: [{name: /}]\nqueues: [{name: a}]",
        );
        write(dir.path(), "c.json", "{\"queues\": [{\"name\": \"c\"}]}");
        write(dir.path(), "notes.txt", "not a topology");
        std::fs::create_dir(dir.path().join("nested.yaml")).unwrap();
        let loaded = load(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<&str> = loaded
            .topology
            .queues
            .iter()
            .map(|q| q.name.as_str())
            .collect();
        assert_eq!(names, ["a", "b", "c"]);
        let files: Vec<String> = loaded
            .files
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(files, ["a.yaml", "b.yml", "c.json"]);
        assert_eq!(loaded.origins.get(Section::Queues)[2].file, 2);
    }

    #[test]
    fn each_file_is_parsed_once_however_many_findings_it_has() {
        // Parse errors, type errors and rule findings in two files: every
        // one placed, from the one reading of each file.
        let first = "vhosts: [{name: v}]\nqueues:\n  - {name: a, vhost: v, durabel: true}\n  - name: b\n    vhost: w\n    arguments: {x-expires: 0}\n";
        let second = "queues:\n  - {name: b, vhost: v, durable: yes}\n  - {name: a, vhost: v}\nbindings:\n  - {source: e, destination: a, vhost: v}\n";
        yaml::READS.with(|reads| reads.set(0));
        let failed = load_sources(vec![
            ("one.yaml".into(), first.as_bytes().to_vec()),
            ("two.yaml".into(), second.as_bytes().to_vec()),
        ])
        .unwrap_err();
        assert_eq!(yaml::READS.with(|reads| reads.get()), 2);
        let shown: Vec<String> = failed.errors.iter().map(Diagnostic::to_string).collect();
        assert!(shown.len() >= 5, "{shown:#?}");
        for diagnostic in &failed.errors {
            assert!(
                diagnostic.line.is_some() && diagnostic.column.is_some(),
                "{diagnostic}"
            );
        }
    }

    #[test]
    fn a_dangling_link_in_a_directory_is_an_error_naming_it() {
        // Skipped, its objects would look deleted to `plan --prune`.
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.yaml", "vhosts: [{name: /}]\n");
        std::os::unix::fs::symlink(dir.path().join("gone.yaml"), dir.path().join("b.yaml"))
            .unwrap();
        let failed = load(&[dir.path().to_path_buf()]).unwrap_err();
        let shown: Vec<String> = failed.errors.iter().map(Diagnostic::to_string).collect();
        assert_eq!(shown.len(), 1, "{shown:?}");
        assert!(
            shown[0]
                .ends_with("b.yaml: cannot read the file: No such file or directory (os error 2)"),
            "{shown:?}"
        );
    }

    #[test]
    fn a_file_named_twice_is_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            dir.path(),
            "a.yaml",
            "vhosts: [{name: /}]\nqueues: [{name: a}]",
        );
        let loaded = load(&[file.clone(), dir.path().to_path_buf(), file]).unwrap();
        assert_eq!(loaded.files.len(), 1);
        assert_eq!(loaded.topology.queues.len(), 1);
    }

    #[test]
    fn a_finding_points_at_its_field_or_else_at_its_object() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            dir.path(),
            "t.yaml",
            "vhosts: [{name: v}]\nqueues:\n  - name: a\n    arguments:\n      x-expires: 0\n",
        );
        let failed = load(&[file]).unwrap_err();
        let placed: Vec<String> = failed
            .errors
            .iter()
            .map(|d| {
                format!(
                    "{:?}:{:?} {}",
                    d.line,
                    d.column,
                    d.object.as_deref().unwrap_or("")
                )
            })
            .collect();
        // `vhost: /` is a default, not written: the queue itself is shown.
        assert_eq!(
            placed,
            [
                "Some(3):Some(5) queues[0] a",
                "Some(5):Some(18) queues[0] a"
            ]
        );
    }

    #[test]
    fn a_missing_path_is_an_error_naming_it() {
        let failed = load(&[PathBuf::from("/nonexistent/warren/t.yaml")]).unwrap_err();
        assert_eq!(
            failed.errors[0].to_string(),
            "/nonexistent/warren/t.yaml: no such file or directory"
        );
    }

    #[test]
    fn errors_sort_by_file_then_position_with_those_about_a_whole_file_first() {
        let names = ["a.yaml".to_string(), "b.yaml".to_string()];
        let at = |file: &str, line: Option<usize>, object: Option<&str>| Diagnostic {
            file: Some(file.into()),
            object: object.map(String::from),
            line,
            column: line.map(|_| 1),
            message: String::new(),
        };
        let mut diagnostics = [
            at("b.yaml", Some(1), Some("q")),
            at("a.yaml", None, Some("q")),
            at("a.yaml", Some(9), Some("q")),
            at("a.yaml", Some(2), Some("q")),
            at("a.yaml", None, None),
        ];
        sort_by_place(&mut diagnostics, &names);
        let order: Vec<String> = diagnostics
            .iter()
            .map(|d| {
                format!(
                    "{} {:?} {}",
                    d.file.as_deref().unwrap(),
                    d.line,
                    d.object.is_some()
                )
            })
            .collect();
        assert_eq!(
            order,
            [
                "a.yaml None true",
                "a.yaml None false",
                "a.yaml Some(2) true",
                "a.yaml Some(9) true",
                "b.yaml Some(1) true",
            ]
        );
    }
}
