//! The secrets a topology names by reference, read for the commands that
//! talk to a broker: a user's `password_env` (an environment variable) or
//! `password_file` (a file, relative to the topology file), and a
//! parameter's `uri_env` / `uri_file` (and `src-uri_…`, `dest-uri_…`).
//! `validate` and `diff` never read them: a pipeline validates files
//! without its secrets.
//!
//! Errors name the user or parameter and the variable or file, never a
//! value; a value read is held in a [`Secret`] or in a parameter's
//! `resolved` value, neither of which is ever serialised.

use std::path::Path;

use serde_json::Value;

use super::{Diagnostic, Loaded, Placer};
use crate::model::{Credential, Parameter, Secret, URI_KEYS, User};
use crate::rules::{Finding, ObjectRef, Section, Severity};

impl Loaded {
    /// Reads every secret the files name, into the users' credentials and
    /// the parameters' resolved values. Each reference that cannot be read
    /// is an error with its file, object and line; a password file with a
    /// byte-order mark or trailing spaces is a warning (they are taken as
    /// part of the password).
    pub fn resolve_secrets(&mut self) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
        let mut findings = Vec::new();
        let directories: Vec<std::path::PathBuf> = self
            .files
            .iter()
            .map(|f| f.parent().map(Path::to_path_buf).unwrap_or_default())
            .collect();
        let dir_of = |section: Section, index: usize| -> &Path {
            let origin = &self.origins.get(section)[index];
            &directories[origin.file]
        };
        let mut resolved_users = Vec::new();
        for (index, user) in self.topology.users().iter().enumerate() {
            let at = ObjectRef {
                section: Section::Users,
                index,
            };
            resolved_users.push(credential_of(
                user,
                dir_of(Section::Users, index),
                at,
                &mut findings,
            ));
        }
        let mut resolved_parameters = Vec::new();
        for (index, parameter) in self.topology.parameters().iter().enumerate() {
            let at = ObjectRef {
                section: Section::Parameters,
                index,
            };
            resolved_parameters.push(resolved_value(
                parameter,
                dir_of(Section::Parameters, index),
                at,
                &mut findings,
            ));
        }
        if let Some(users) = &mut self.topology.users {
            for (user, credential) in users.iter_mut().zip(resolved_users) {
                user.credential = credential;
            }
        }
        if let Some(parameters) = &mut self.topology.parameters {
            for (parameter, value) in parameters.iter_mut().zip(resolved_parameters) {
                parameter.resolved = value.map(crate::model::SecretValue);
            }
        }
        let names: Vec<String> = self.files.iter().map(|f| f.display().to_string()).collect();
        let placer = Placer {
            topology: &self.topology,
            origins: &self.origins,
            names: &names,
        };
        let (errors, warnings): (Vec<Finding>, Vec<Finding>) = findings
            .into_iter()
            .partition(|f| f.severity == Severity::Error);
        let warnings = warnings.into_iter().map(|f| placer.diagnostic(f)).collect();
        if errors.is_empty() {
            Ok(warnings)
        } else {
            Err(errors.into_iter().map(|f| placer.diagnostic(f)).collect())
        }
    }
}

fn finding(severity: Severity, at: ObjectRef, field: &str, message: String) -> Finding {
    Finding {
        severity,
        object: at,
        field: vec![field.to_string()],
        message,
        related: None,
        leaves_out: false,
    }
}

/// What a user's password is: read from where the file points, the hash
/// it gives, or no password.
fn credential_of(
    user: &User,
    dir: &Path,
    at: ObjectRef,
    findings: &mut Vec<Finding>,
) -> Option<Credential> {
    if let Some(name) = &user.password_env {
        return read_env(name, "password_env", at, findings)
            .map(|p| Credential::Password(Secret::new(p)));
    }
    if let Some(path) = &user.password_file {
        return read_file(path, dir, "password_file", at, findings)
            .map(|p| Credential::Password(Secret::new(p)));
    }
    if let Some(hash) = &user.password_hash {
        return Some(Credential::Hash {
            hash: hash.clone(),
            algorithm: user.hashing_algorithm.clone(),
        });
    }
    Some(Credential::NoPassword)
}

/// A parameter's value with each `…uri_env` / `…uri_file` replaced by the
/// URI it names; `None` when it names none (its value is sent as it is).
fn resolved_value(
    parameter: &Parameter,
    dir: &Path,
    at: ObjectRef,
    findings: &mut Vec<Finding>,
) -> Option<Value> {
    let Value::Object(map) = &parameter.value else {
        return None;
    };
    let mut resolved = map.clone();
    let mut any = false;
    for key in URI_KEYS {
        for (suffix, from_env) in [("_env", true), ("_file", false)] {
            let reference = format!("{key}{suffix}");
            let Some(Value::String(name)) = map.get(&reference) else {
                continue;
            };
            any = true;
            resolved.remove(&reference);
            let uri = if from_env {
                read_env(name, "value", at, findings)
            } else {
                read_file(name, dir, "value", at, findings)
            };
            if let Some(uri) = uri {
                resolved.insert(key.to_string(), Value::String(uri));
            }
        }
    }
    any.then_some(Value::Object(resolved))
}

fn read_env(name: &str, field: &str, at: ObjectRef, findings: &mut Vec<Finding>) -> Option<String> {
    match std::env::var(name) {
        Ok(value) if value.is_empty() => {
            let (what, why) = what_is_read(field);
            let message = format!(
                "environment variable {name} is set but empty, as a CI secret that is not \
                 configured reads: give it the {what}{why}"
            );
            findings.push(finding(Severity::Error, at, field, message));
            None
        }
        Ok(value) => Some(value),
        Err(std::env::VarError::NotPresent) => {
            findings.push(finding(
                Severity::Error,
                at,
                field,
                format!(
                    "environment variable {name} is not set: set it where warren runs (its value \
                     never appears in any output)"
                ),
            ));
            None
        }
        Err(std::env::VarError::NotUnicode(_)) => {
            findings.push(finding(
                Severity::Error,
                at,
                field,
                format!("environment variable {name} is not UTF-8 text"),
            ));
            None
        }
    }
}

/// What a reference gives, and why an empty one is refused, for its
/// errors: RabbitMQ takes an empty password, then refuses every login
/// with it.
fn what_is_read(field: &str) -> (&'static str, &'static str) {
    if field == "value" {
        ("URI", "")
    } else {
        (
            "password",
            " (RabbitMQ takes an empty one, then refuses every login with it)",
        )
    }
}

/// A secret file's text, without one final line end (`\n` or `\r\n`), as
/// editors and `echo` write them.
fn read_file(
    path: &str,
    dir: &Path,
    field: &str,
    at: ObjectRef,
    findings: &mut Vec<Finding>,
) -> Option<String> {
    let full = dir.join(path);
    let text = match std::fs::read_to_string(&full) {
        Ok(text) => text,
        Err(err) => {
            findings.push(finding(
                Severity::Error,
                at,
                field,
                format!("cannot read {}: {err}", full.display()),
            ));
            return None;
        }
    };
    let text = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(&text);
    if text.is_empty() {
        let (what, why) = what_is_read(field);
        let message = format!("{} is empty: write the {what} in it{why}", full.display());
        findings.push(finding(Severity::Error, at, field, message));
        return None;
    }
    if text.starts_with('\u{feff}') || text.ends_with([' ', '\t']) || text.contains('\n') {
        findings.push(finding(
            Severity::Warning,
            at,
            field,
            format!(
                "{} holds a byte-order mark, trailing blanks or more than one line: they are \
                 taken as part of the secret",
                full.display()
            ),
        ));
    }
    Some(text.to_string())
}
