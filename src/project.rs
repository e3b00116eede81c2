//! The project file, `warren.yaml` at the repository root: the targets one
//! repository describes (dev, staging, production; a broker per region),
//! each with its node URLs, where its credentials come from, its topology
//! paths and its variables (`${name}` in the topology files).
//!
//! Parsing and checking are pure ([`Project::parse`]); reading the file is
//! [`Project::find`]'s, and reading the credentials the commands'.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;

use crate::load::{VariableValue, Variables, is_variable_name};

/// The project file's name, looked for in the current directory.
pub const PROJECT_FILE: &str = "warren.yaml";

/// `warren.yaml`, as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "warren project file (warren.yaml)")]
pub struct ProjectFile {
    /// The brokers (or clusters) this repository describes.
    pub targets: Vec<TargetFile>,
}

/// One target, as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetFile {
    /// The target's name, for `--target NAME`.
    pub name: String,
    /// The management API URL of each node of the target's cluster (one
    /// for a single broker), without credentials.
    pub urls: Vec<String>,
    /// The management user (or `username_env`; default guest).
    #[serde(default)]
    pub username: Option<String>,
    /// The environment variable that holds the management user.
    #[serde(default)]
    pub username_env: Option<String>,
    /// The environment variable that holds the password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// A file whose first line is the password (relative to warren.yaml).
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// A PEM CA certificate to trust for https URLs (relative to warren.yaml).
    #[serde(default)]
    pub ca_cert: Option<PathBuf>,
    /// Topology files or directories, relative to warren.yaml (default:
    /// topologies/).
    #[serde(default)]
    pub paths: Vec<PathBuf>,
    /// Values for `${name}` in the topology files. A value that is a whole
    /// `${name}` keeps its type; inside a string it is text.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub variables: BTreeMap<String, serde_yaml::Value>,
}

/// A checked project: its file and targets, paths resolved.
#[derive(Debug, Clone)]
pub struct Project {
    pub file: PathBuf,
    pub targets: Vec<Target>,
}

/// Where a target's user name or password comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    /// Nothing said: the default (guest).
    Default,
    Value(String),
    Env(String),
    File(PathBuf),
}

/// A target, checked, its paths relative to the current directory.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub urls: Vec<String>,
    pub username: Secret,
    pub password: Secret,
    pub ca_cert: Option<PathBuf>,
    pub paths: Vec<PathBuf>,
    pub variables: Variables,
}

impl Project {
    /// The project file `explicit` names, or `warren.yaml` in the current
    /// directory if there is one, read and checked. `Ok(None)`: no project.
    pub fn find(explicit: Option<&Path>) -> Result<Option<Project>, String> {
        let path = match explicit {
            Some(path) => path.to_path_buf(),
            None if Path::new(PROJECT_FILE).is_file() => PathBuf::from(PROJECT_FILE),
            None => return Ok(None),
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("{}: cannot read the project file: {e}", path.display()))?;
        Project::parse(&path, &text).map(Some)
    }

    /// Parses and checks the text of the project file at `path`. The
    /// error names the file, the line where YAML places it, the target and
    /// what to do; several problems are one message, a line each.
    pub fn parse(path: &Path, text: &str) -> Result<Project, String> {
        let name = path.display();
        let file: ProjectFile = serde_yaml::from_str(text).map_err(|e| {
            let place = e
                .location()
                .map(|l| format!(":{}:{}", l.line(), l.column()))
                .unwrap_or_default();
            format!("{name}{place}: {e} (the project file's keys are in `warren schema --project`)")
        })?;
        let dir = path.parent().unwrap_or(Path::new(""));
        let mut problems = Vec::new();
        if file.targets.is_empty() {
            problems.push(format!(
                "{name}: `targets` is empty: list at least one target"
            ));
        }
        let mut seen = BTreeSet::new();
        let mut targets = Vec::new();
        for (index, spec) in file.targets.into_iter().enumerate() {
            let label = if spec.name.is_empty() {
                format!("{name}: targets[{index}]")
            } else {
                format!("{name}: target '{}'", spec.name)
            };
            let mut problem = |message: String| problems.push(format!("{label}: {message}"));
            if spec.name.trim().is_empty() || spec.name.contains(',') {
                problem("needs a `name` (no commas)".into());
            } else if !seen.insert(spec.name.clone()) {
                problem("is listed twice: target names are unique".into());
            }
            check_target(&spec, &mut problem);
            let variables = spec
                .variables
                .iter()
                .filter_map(|(key, value)| match variable_value(value) {
                    Ok(value) => Some((key.clone(), value)),
                    Err(why) => {
                        problem(format!("variable '{key}': {why}"));
                        None
                    }
                })
                .collect();
            let paths = if spec.paths.is_empty() {
                vec![dir.join(crate::load::DEFAULT_DIRECTORY)]
            } else {
                spec.paths.iter().map(|p| dir.join(p)).collect()
            };
            targets.push(Target {
                variables: Variables::new(&spec.name, variables),
                urls: spec.urls,
                username: match (spec.username, spec.username_env) {
                    (Some(user), _) => Secret::Value(user),
                    (None, Some(env)) => Secret::Env(env),
                    (None, None) => Secret::Default,
                },
                password: match (spec.password_env, spec.password_file) {
                    (Some(env), _) => Secret::Env(env),
                    (None, Some(file)) => Secret::File(dir.join(file)),
                    (None, None) => Secret::Default,
                },
                ca_cert: spec.ca_cert.map(|c| dir.join(c)),
                paths,
                name: spec.name,
            });
        }
        if problems.is_empty() {
            Ok(Project {
                file: path.to_path_buf(),
                targets,
            })
        } else {
            Err(problems.join("\n"))
        }
    }

    /// The targets `names` chooses (each once, in the file's order), or
    /// every target with `all`.
    pub fn select(&self, names: &[String], all: bool) -> Result<Vec<&Target>, String> {
        if all {
            return Ok(self.targets.iter().collect());
        }
        let known: Vec<&str> = self.targets.iter().map(|t| t.name.as_str()).collect();
        for name in names {
            if !known.contains(&name.as_str()) {
                return Err(format!(
                    "{}: there is no target '{name}'{}; its targets are {}",
                    self.file.display(),
                    crate::suggest::hint(name, known.iter().copied()),
                    known.join(", ")
                ));
            }
        }
        Ok(self
            .targets
            .iter()
            .filter(|t| names.contains(&t.name))
            .collect())
    }

    /// The targets' names, comma-separated, for messages.
    pub fn names(&self) -> String {
        let names: Vec<&str> = self.targets.iter().map(|t| t.name.as_str()).collect();
        names.join(", ")
    }
}

/// What is wrong with a target's connection settings and variable names.
fn check_target(spec: &TargetFile, problem: &mut impl FnMut(String)) {
    if spec.urls.is_empty() {
        problem("`urls` is empty: give the management URL of at least one node".into());
    }
    for url in &spec.urls {
        let after_scheme = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
        let authority = after_scheme.split('/').next().unwrap_or_default();
        if authority.contains('@') {
            problem(
                "a URL holds credentials: put the user in `username` or `username_env` and the \
                 password in `password_env` or `password_file`"
                    .into(),
            );
        } else if !(url.starts_with("http://") || url.starts_with("https://")) {
            problem(format!(
                "'{url}' is not an http:// or https:// management URL"
            ));
        }
        if url.contains(',') {
            problem("list each node as an item of `urls`, not comma-separated".into());
        }
    }
    if spec.username.is_some() && spec.username_env.is_some() {
        problem("give `username` or `username_env`, not both".into());
    }
    if spec.password_env.is_some() && spec.password_file.is_some() {
        problem("give `password_env` or `password_file`, not both".into());
    }
    for name in spec.variables.keys() {
        if !is_variable_name(name) {
            problem(format!(
                "'{name}' is not a variable name: a letter or _, then letters, digits, _ or -"
            ));
        }
    }
}

/// A variable's value from YAML; tags are refused.
fn variable_value(value: &serde_yaml::Value) -> Result<VariableValue, String> {
    use serde_yaml::Value as Yaml;
    Ok(match value {
        Yaml::Null => VariableValue::Null,
        Yaml::Bool(b) => VariableValue::Bool(*b),
        Yaml::Number(n) => VariableValue::Number(n.to_string()),
        Yaml::String(s) => VariableValue::String(s.clone()),
        Yaml::Sequence(items) => {
            VariableValue::List(items.iter().map(variable_value).collect::<Result<_, _>>()?)
        }
        Yaml::Mapping(entries) => VariableValue::Map(
            entries
                .iter()
                .map(|(k, v)| match k {
                    Yaml::String(key) => Ok((key.clone(), variable_value(v)?)),
                    _ => Err("mapping keys must be strings".to_string()),
                })
                .collect::<Result<_, _>>()?,
        ),
        Yaml::Tagged(tagged) => {
            return Err(format!("a tagged value ({}) is not a variable", tagged.tag));
        }
    })
}

/// The JSON Schema of `warren.yaml`.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(ProjectFile);
    let mut text = serde_json::to_string_pretty(&schema).expect("schemas serialise");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = r#"
targets:
  - name: staging
    urls: [http://staging-1:15672, http://staging-2:15672]
    username_env: STAGING_USER
    password_env: STAGING_PASSWORD
    variables: {order_ttl: 60000, region: eu}
  - name: production
    urls: [https://prod:15671]
    username: warren
    password_file: secrets/prod
    ca_cert: certs/ca.pem
    paths: [topologies/, extra.yaml]
"#;

    fn parse(text: &str) -> Result<Project, String> {
        Project::parse(Path::new("repo/warren.yaml"), text)
    }

    #[test]
    fn targets_are_read_with_their_paths_relative_to_the_file() {
        let project = parse(TWO).unwrap();
        let [staging, production] = &project.targets[..] else {
            panic!("two targets")
        };
        assert_eq!(staging.paths, [PathBuf::from("repo/topologies")]);
        assert_eq!(staging.username, Secret::Env("STAGING_USER".into()));
        assert_eq!(staging.password, Secret::Env("STAGING_PASSWORD".into()));
        assert_eq!(staging.urls.len(), 2);
        assert_eq!(
            staging.variables.names().collect::<Vec<_>>(),
            ["order_ttl", "region"]
        );
        assert_eq!(
            production.paths,
            [
                PathBuf::from("repo/topologies/"),
                PathBuf::from("repo/extra.yaml")
            ]
        );
        assert_eq!(
            production.password,
            Secret::File("repo/secrets/prod".into())
        );
        assert_eq!(production.ca_cert, Some(PathBuf::from("repo/certs/ca.pem")));
        assert_eq!(production.username, Secret::Value("warren".into()));
    }

    #[test]
    fn targets_are_chosen_by_name_in_the_files_order() {
        let project = parse(TWO).unwrap();
        let names = |t: Vec<&Target>| t.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
        let chosen = project
            .select(&["production".into(), "staging".into()], false)
            .unwrap();
        assert_eq!(names(chosen), ["staging", "production"]);
        assert_eq!(names(project.select(&[], true).unwrap()).len(), 2);
        let err = project.select(&["stagign".into()], false).unwrap_err();
        assert!(
            err.contains("no target 'stagign' (did you mean 'staging'?)"),
            "{err}"
        );
    }

    #[test]
    fn each_problem_names_the_file_and_the_target() {
        let err = parse("targets:\n  - name: a\n    urls: [http://x]\n    urlz: []\n").unwrap_err();
        assert!(err.starts_with("repo/warren.yaml:4:"), "{err}");
        assert!(err.contains("unknown field `urlz`"), "{err}");
        let err = parse(
            "targets:\n  - {name: a, urls: ['http://u:p@x:15672']}\n  - {name: a, urls: []}\n  \
             - {name: b, urls: [http://y], password_env: P, password_file: f, variables: {'1x': 1}}\n",
        )
        .unwrap_err();
        let lines: Vec<&str> = err.lines().collect();
        assert!(
            lines[0].contains("target 'a': a URL holds credentials"),
            "{err}"
        );
        assert!(!err.contains("u:p"), "{err}");
        assert!(lines[1].contains("target 'a': is listed twice"), "{err}");
        assert!(lines[2].contains("target 'a': `urls` is empty"), "{err}");
        assert!(
            lines[3].contains("target 'b': give `password_env` or `password_file`"),
            "{err}"
        );
        assert!(lines[4].contains("'1x' is not a variable name"), "{err}");
        assert!(
            parse("targets: []")
                .unwrap_err()
                .contains("`targets` is empty")
        );
    }
}
