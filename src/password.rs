//! RabbitMQ's password hashes, checked and made without a broker: a stored
//! hash is `base64(salt ‖ H(salt ‖ password))` with a 4-byte salt and H
//! one of MD5, SHA-256, SHA-512 (`rabbit_password.erl`, verified against
//! the guest user of 3.10.8). So a referenced password is compared with
//! the live hash offline, in constant time, and a new one is sent as a
//! freshly salted hash: no plain password crosses the wire.
//!
//! Pure: the salt is given by the caller (who draws it at random).

use base64::Engine;
use sha2::Digest;

/// The bytes of a salt.
pub const SALT_BYTES: usize = 4;

/// A hashing module of RabbitMQ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashingAlgorithm {
    Sha256,
    Sha512,
    Md5,
}

impl HashingAlgorithm {
    /// The module names the broker reports and takes.
    pub const MODULES: &'static [&'static str] = &[
        "rabbit_password_hashing_sha256",
        "rabbit_password_hashing_sha512",
        "rabbit_password_hashing_md5",
    ];

    pub fn from_module(name: &str) -> Option<HashingAlgorithm> {
        match name {
            "rabbit_password_hashing_sha256" => Some(HashingAlgorithm::Sha256),
            "rabbit_password_hashing_sha512" => Some(HashingAlgorithm::Sha512),
            "rabbit_password_hashing_md5" => Some(HashingAlgorithm::Md5),
            _ => None,
        }
    }

    pub fn module(self) -> &'static str {
        match self {
            HashingAlgorithm::Sha256 => "rabbit_password_hashing_sha256",
            HashingAlgorithm::Sha512 => "rabbit_password_hashing_sha512",
            HashingAlgorithm::Md5 => "rabbit_password_hashing_md5",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            HashingAlgorithm::Sha256 => "SHA-256",
            HashingAlgorithm::Sha512 => "SHA-512",
            HashingAlgorithm::Md5 => "MD5",
        }
    }

    pub fn digest_bytes(self) -> usize {
        match self {
            HashingAlgorithm::Sha256 => 32,
            HashingAlgorithm::Sha512 => 64,
            HashingAlgorithm::Md5 => 16,
        }
    }

    fn digest(self, salt: &[u8], password: &[u8]) -> Vec<u8> {
        match self {
            HashingAlgorithm::Sha256 => sha2::Sha256::new()
                .chain_update(salt)
                .chain_update(password)
                .finalize()
                .to_vec(),
            HashingAlgorithm::Sha512 => sha2::Sha512::new()
                .chain_update(salt)
                .chain_update(password)
                .finalize()
                .to_vec(),
            HashingAlgorithm::Md5 => md5::Md5::new()
                .chain_update(salt)
                .chain_update(password)
                .finalize()
                .to_vec(),
        }
    }
}

/// The algorithm of a stored hash: its module, or MD5 when none is
/// recorded (users from before hashing modules, as the broker reads them).
pub fn algorithm_of(module: Option<&str>) -> Option<HashingAlgorithm> {
    match module {
        None | Some("") => Some(HashingAlgorithm::Md5),
        Some(name) => HashingAlgorithm::from_module(name),
    }
}

/// Whether `password` is the one `stored` was made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Matches,
    Differs,
    /// The hash is of an unknown algorithm, or not of the right length.
    Unverifiable,
}

/// Checks `password` against the stored hash (base64) of `algorithm`. An
/// empty hash is no password: only an empty password matches it. The
/// comparison takes the same time wherever the digests differ.
pub fn verify(password: &str, stored: &str, algorithm: Option<HashingAlgorithm>) -> Verdict {
    if stored.is_empty() {
        return if password.is_empty() {
            Verdict::Matches
        } else {
            Verdict::Differs
        };
    }
    let Some(algorithm) = algorithm else {
        return Verdict::Unverifiable;
    };
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(stored) else {
        return Verdict::Unverifiable;
    };
    if raw.len() != SALT_BYTES + algorithm.digest_bytes() {
        return Verdict::Unverifiable;
    }
    let (salt, digest) = raw.split_at(SALT_BYTES);
    if constant_time_eq(&algorithm.digest(salt, password.as_bytes()), digest) {
        Verdict::Matches
    } else {
        Verdict::Differs
    }
}

/// Whether a stored hash stands for no password: empty, or (users made
/// with neither a password nor a hash, before RabbitMQ PR #16633) a valid
/// hash of the empty password.
pub fn is_no_password(stored: &str, algorithm: Option<HashingAlgorithm>) -> bool {
    stored.is_empty() || verify("", stored, algorithm) == Verdict::Matches
}

/// The stored form of `password` with `salt`: what the broker would keep.
pub fn hash(password: &str, salt: [u8; SALT_BYTES], algorithm: HashingAlgorithm) -> String {
    let mut raw = salt.to_vec();
    raw.extend(algorithm.digest(&salt, password.as_bytes()));
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// Whether the credential of a file's user (`want`) is what the broker
/// holds (`have`, a stored hash): a password is checked against the hash,
/// a hash compared as written (an export's hash, imported, is stored as it
/// is), no password against an empty hash or a hash of nothing. A hash
/// that cannot be checked counts as different: applying sets one that
/// can be.
pub fn credential_matches(
    want: &crate::model::Credential,
    have: &crate::model::Credential,
) -> bool {
    use crate::model::Credential;
    let (stored, module) = match have {
        Credential::Hash { hash, algorithm } => (hash.expose(), algorithm.as_deref()),
        Credential::NoPassword => ("", None),
        Credential::Password(_) => return false,
    };
    let algorithm = algorithm_of(module);
    match want {
        Credential::Password(password) => {
            verify(password.expose(), stored, algorithm) == Verdict::Matches
        }
        Credential::Hash { hash, .. } => {
            constant_time_eq(hash.expose().as_bytes(), stored.as_bytes())
                || (is_no_password(hash.expose(), algorithm) && is_no_password(stored, algorithm))
        }
        Credential::NoPassword => is_no_password(stored, algorithm),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Samples RabbitMQ's own documents give (RABBITMQ-2.md §2b).
    #[test]
    fn the_documents_samples_verify() {
        // guest / MD5, from the HTTP API documents.
        assert_eq!(
            verify(
                "guest",
                "2lmoth8l4H0DViLaK9Fxi6l9ds8=",
                Some(HashingAlgorithm::Md5)
            ),
            Verdict::Matches
        );
        assert_eq!(
            verify(
                "wrong",
                "2lmoth8l4H0DViLaK9Fxi6l9ds8=",
                Some(HashingAlgorithm::Md5)
            ),
            Verdict::Differs
        );
    }

    #[test]
    fn a_hash_made_here_verifies_for_every_algorithm() {
        for algorithm in [
            HashingAlgorithm::Sha256,
            HashingAlgorithm::Sha512,
            HashingAlgorithm::Md5,
        ] {
            let stored = hash("s3cret", [1, 2, 3, 4], algorithm);
            assert_eq!(verify("s3cret", &stored, Some(algorithm)), Verdict::Matches);
            assert_eq!(verify("s3creT", &stored, Some(algorithm)), Verdict::Differs);
            assert_eq!(
                verify("s3cret", &stored[4..], Some(algorithm)),
                Verdict::Unverifiable
            );
        }
        // Another salt, the same password: another hash, the same verdict.
        let a = hash("pw", [0; 4], HashingAlgorithm::Sha256);
        let b = hash("pw", [9; 4], HashingAlgorithm::Sha256);
        assert_ne!(a, b);
        assert_eq!(
            verify("pw", &b, Some(HashingAlgorithm::Sha256)),
            Verdict::Matches
        );
    }

    #[test]
    fn no_password_is_an_empty_hash_or_a_hash_of_nothing() {
        assert!(is_no_password("", None));
        let nothing = hash("", [5; 4], HashingAlgorithm::Sha256);
        assert!(is_no_password(&nothing, Some(HashingAlgorithm::Sha256)));
        let something = hash("x", [5; 4], HashingAlgorithm::Sha256);
        assert!(!is_no_password(&something, Some(HashingAlgorithm::Sha256)));
        assert_eq!(algorithm_of(None), Some(HashingAlgorithm::Md5));
        assert_eq!(
            algorithm_of(Some("rabbit_password_hashing_sha512")),
            Some(HashingAlgorithm::Sha512)
        );
        assert_eq!(algorithm_of(Some("custom")), None);
    }
}
