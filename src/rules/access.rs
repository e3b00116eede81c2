//! The rules of users, permissions and topic permissions: a password by
//! reference or as an export's salted hash, never in plain text; known
//! limits; permissions of declared users in listed vhosts, with patterns
//! the broker can compile. Pure, like every rule: the references are
//! resolved (environment, files) by the loader, not here.

use std::collections::{HashMap, HashSet};

use base64::Engine;

use super::arguments::USER_LIMITS;
use super::{Findings, ObjectRef, Section, at, check_limit, check_name, pattern_problem};
use crate::model::{Topology, User};
use crate::password::{self, HashingAlgorithm};

pub(super) fn check_access(topology: &Topology, out: &mut Findings) {
    for (index, user) in topology.users().iter().enumerate() {
        check_user(user, at(Section::Users, index), out);
    }
    let declared_users: Option<HashSet<&str>> = topology
        .users
        .as_ref()
        .map(|users| users.iter().map(|u| u.name.as_str()).collect());
    let check_user_declared = |user: &str, at: ObjectRef, out: &mut Findings| {
        // The broker's own users (guest, the one warren connects as) are
        // rarely declared: a permission of an undeclared user is allowed,
        // with a word, since --prune-users would delete the user.
        if let Some(declared) = &declared_users {
            if !declared.contains(user) {
                out.warning(
                    at,
                    &["user"],
                    format!(
                        "user '{user}' is not declared under users{}: it must exist on the \
                         broker, and --prune-users would delete it",
                        crate::suggest::hint(user, declared.iter().copied())
                    ),
                );
            }
        }
    };
    let mut patterns = PatternChecks::default();
    for (index, permission) in topology.permissions().iter().enumerate() {
        let at = at(Section::Permissions, index);
        check_user_declared(&permission.user, at, out);
        for (field, pattern) in [
            ("configure", &permission.configure),
            ("write", &permission.write),
            ("read", &permission.read),
        ] {
            patterns.check(field, pattern, at, out);
        }
    }
    for (index, permission) in topology.topic_permissions().iter().enumerate() {
        let at = at(Section::TopicPermissions, index);
        check_user_declared(&permission.user, at, out);
        for (field, pattern) in [("write", &permission.write), ("read", &permission.read)] {
            patterns.check(field, pattern, at, out);
        }
    }
}

/// The permissions' patterns, each distinct one parsed once: thousands of
/// permissions repeat a few patterns (`.*`, `^$`), and parsing each copy
/// was a fifth of validating a file of 2,000 users (measured).
#[derive(Default)]
struct PatternChecks<'a> {
    problems: HashMap<&'a str, Option<String>>,
}

impl<'a> PatternChecks<'a> {
    fn check(&mut self, field: &str, pattern: &'a str, at: ObjectRef, out: &mut Findings) {
        let problem = self
            .problems
            .entry(pattern)
            .or_insert_with(|| pattern_problem(pattern));
        if let Some(problem) = problem {
            out.error(at, &[field], format!("{field} '{pattern}' {problem}"));
        }
    }
}

/// The tags RabbitMQ's management plugin and its authorisation know;
/// others are a deployment's own (read by other auth backends).
const KNOWN_TAGS: &[&str] = &[
    "administrator",
    "monitoring",
    "policymaker",
    "management",
    "impersonator",
];

fn check_user(user: &User, at: ObjectRef, out: &mut Findings) {
    check_name(&user.name, "user", at, out);
    for tag in &user.tags {
        if KNOWN_TAGS.contains(&tag.as_str()) {
            continue;
        }
        let lower = tag.to_ascii_lowercase();
        // `admin`, `monitor`: the start of one.
        let start_of = (lower.len() >= 4)
            .then(|| KNOWN_TAGS.iter().find(|known| known.starts_with(&lower)))
            .flatten();
        let hint = match start_of {
            Some(known) => format!(" (did you mean '{known}'?)"),
            None => crate::suggest::hint(tag, KNOWN_TAGS.iter().copied()),
        };
        if !hint.is_empty() {
            out.warning(
                at,
                &["tags"],
                format!(
                    "tag '{tag}' is not one RabbitMQ knows{hint}: the broker keeps it, and \
                     grants nothing for it"
                ),
            );
        }
    }
    for (key, value) in user.limits.iter().flatten() {
        check_limit(key, value, USER_LIMITS, at, out);
    }
    if user.password.is_some() {
        // Never echo it: the message names the field only.
        out.error(
            at,
            &["password"],
            "a password written in the file is refused: everyone who reads the repository (and \
             its history) reads it; give it by reference, password_env: VARIABLE (an \
             environment variable) or password_file: PATH, or as the salted password_hash with \
             its hashing_algorithm that exports carry",
        );
    }
    let sources: Vec<&str> = [
        ("password_env", user.password_env.is_some()),
        ("password_file", user.password_file.is_some()),
        ("password_hash", user.password_hash.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, given)| given.then_some(name))
    .collect();
    if sources.len() > 1 {
        out.error(
            at,
            &[sources[1]],
            format!(
                "{} {} give the password: give one",
                sources.join(" and "),
                if sources.len() == 2 { "both" } else { "all" }
            ),
        );
    }
    if let Some(name) = &user.password_env {
        if name.is_empty() || name.contains('=') || name.contains('\0') {
            out.error(
                at,
                &["password_env"],
                format!("'{name}' is not the name of an environment variable"),
            );
        }
    }
    let algorithm = match &user.hashing_algorithm {
        None => None,
        Some(name) => match HashingAlgorithm::from_module(name) {
            Some(algorithm) => Some(algorithm),
            None => {
                out.error(
                    at,
                    &["hashing_algorithm"],
                    format!(
                        "hashing_algorithm '{name}' is not one of {}",
                        HashingAlgorithm::MODULES.join(", ")
                    ),
                );
                return;
            }
        },
    };
    if let Some(hash) = &user.password_hash {
        // The hash itself is never shown: it can be brute-forced.
        if !hash.is_empty() {
            match base64::engine::general_purpose::STANDARD.decode(hash.expose()) {
                Err(_) => out.error(
                    at,
                    &["password_hash"],
                    "password_hash is not base64 (the broker refuses it: not_base64); an \
                     export's hash is base64, and \"\" means no password",
                ),
                Ok(bytes) => {
                    // Exports without an algorithm are of users hashed
                    // with MD5, the broker's legacy default.
                    let algorithm = algorithm.unwrap_or(HashingAlgorithm::Md5);
                    if bytes.len() != password::SALT_BYTES + algorithm.digest_bytes() {
                        out.warning(
                            at,
                            &["password_hash"],
                            format!(
                                "password_hash is {} bytes once decoded, not the {} of a salted \
                                 {} hash: no password will match it",
                                bytes.len(),
                                password::SALT_BYTES + algorithm.digest_bytes(),
                                algorithm.name()
                            ),
                        );
                    }
                }
            }
        }
    }
}
