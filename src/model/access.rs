//! Who may do what: users (their tags, limits and password), permissions
//! and topic permissions, and the [`Secret`] that a password or a salted
//! hash is held in, so that none is ever printed.
//!
//! A file names a password by reference (`password_env`, `password_file`)
//! or carries the salted hash a definitions export holds; a plain
//! `password` is read only to be refused. Nothing here reads the
//! environment or a file: the loader resolves the references.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Arguments, ObjectId, tags, unique_keys};

/// A password, or a salted password hash, in memory: it prints as `***`,
/// and a value that holds one serialises without it (the fields that hold
/// secrets are never serialised, see [`User`]).
#[derive(Clone, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(text: impl Into<String>) -> Secret {
        Secret(text.into())
    }

    /// The secret itself, for the one place that needs it (hashing, the
    /// request body).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A RabbitMQ user.
///
/// The password is given by reference (`password_env`, `password_file`,
/// read by the loader into [`User::password`]), or as the salted hash an
/// export carries (`password_hash` with `hashing_algorithm`), or not at
/// all: then the user has no password (certificate logins). A hash and a
/// resolved password are never serialised, so no plan, report or log can
/// hold one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub name: String,
    /// `administrator`, `monitoring`, `policymaker`, `management`, or any
    /// other; a list, or the comma-separated string exports write.
    #[serde(
        default,
        deserialize_with = "tags::deserialize",
        skip_serializing_if = "Vec::is_empty"
    )]
    #[schemars(with = "tags::TagsSchema")]
    pub tags: Vec<String>,
    /// `max-connections`, `max-channels`: managed only when set.
    #[serde(
        default,
        deserialize_with = "unique_keys::deserialize_some",
        skip_serializing_if = "Option::is_none"
    )]
    pub limits: Option<Arguments>,
    /// The environment variable that holds the password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    /// The file that holds the password (relative to the topology file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<String>,
    /// The salted hash a definitions export carries (`""`: no password).
    #[serde(default, skip_serializing)]
    #[schemars(with = "Option<String>")]
    pub password_hash: Option<Secret>,
    /// `rabbit_password_hashing_sha256` (the default), `…_sha512`, `…_md5`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashing_algorithm: Option<String>,
    /// A password written in the file: refused (read only to say so).
    #[serde(default, skip_serializing)]
    #[schemars(skip)]
    pub password: Option<Secret>,
    /// What the file's password reference resolved to, or the live
    /// user's stored hash: set by the loader and by the broker reader,
    /// never read from or written to a file.
    #[serde(skip)]
    #[schemars(skip)]
    pub credential: Option<Credential>,
}

/// What a user's password is, as far as warren compares it. A file's
/// user has one once its references are resolved (for a command that
/// talks to a broker); a live user always has one. Without one, the
/// password is not compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// The plain password (files: from `password_env` or `password_file`).
    Password(Secret),
    /// A salted hash and its algorithm (files: as exported; broker: as
    /// stored). An empty hash is no password.
    Hash {
        hash: Secret,
        algorithm: Option<String>,
    },
    /// No password: the file gives none (logins by certificate).
    NoPassword,
}

impl User {
    pub fn new(name: impl Into<String>) -> User {
        User {
            name: name.into(),
            tags: Vec::new(),
            limits: None,
            password_env: None,
            password_file: None,
            password_hash: None,
            hashing_algorithm: None,
            password: None,
            credential: None,
        }
    }

    pub fn id(&self) -> ObjectId {
        ObjectId::User {
            name: self.name.clone(),
        }
    }

    /// This user without anything secret: what a plan shows and saves.
    pub fn without_secrets(&self) -> User {
        User {
            password_hash: None,
            password: None,
            credential: None,
            ..self.clone()
        }
    }
}

/// A user's permissions in a vhost: regular expressions over resource
/// names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Permission {
    pub user: String,
    #[serde(
        default = "super::default_vhost",
        skip_serializing_if = "super::is_default_vhost"
    )]
    pub vhost: String,
    pub configure: String,
    pub write: String,
    pub read: String,
}

impl Permission {
    pub fn id(&self) -> ObjectId {
        ObjectId::Permission {
            vhost: self.vhost.clone(),
            user: self.user.clone(),
        }
    }
}

/// A user's topic permissions on one exchange of a vhost: regular
/// expressions over routing keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicPermission {
    pub user: String,
    #[serde(
        default = "super::default_vhost",
        skip_serializing_if = "super::is_default_vhost"
    )]
    pub vhost: String,
    pub exchange: String,
    pub write: String,
    pub read: String,
}

impl TopicPermission {
    pub fn id(&self) -> ObjectId {
        ObjectId::TopicPermission {
            vhost: self.vhost.clone(),
            user: self.user.clone(),
            exchange: self.exchange.clone(),
        }
    }
}
