//! The version of RabbitMQ a broker runs, and the one rule for comparing
//! it: what warren sends, and what it plans as changeable, depends on it.
//! Nothing else compares versions; it never asks a broker for one.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A RabbitMQ version as the broker reports it (`3.10.8`, `4.0.1-beta.2`),
/// kept as given (plans save it, reports show it).
///
/// An unreadable version (empty, or not starting with a number) is older
/// than every version: whatever needs a recent broker is then not done, so
/// warren never sends what an old broker would refuse. (Sending vhost tags
/// as a list, which 3.10 introduced, to a broker that takes only a
/// comma-separated string would fail; changing a vhost's default queue
/// type, which 3.11.17 introduced, would be ignored.) A missing minor or
/// patch number counts as 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BrokerVersion(String);

impl BrokerVersion {
    pub fn new(text: impl Into<String>) -> BrokerVersion {
        BrokerVersion(text.into())
    }

    /// The version as the broker reported it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when this is `major.minor.patch` or later; never for an
    /// unreadable version.
    pub fn at_least(&self, major: u32, minor: u32, patch: u32) -> bool {
        self.numbers()
            .is_some_and(|version| version >= (major, minor, patch))
    }

    /// `(major, minor, patch)`, read up to the first character that ends
    /// them (`-rc.1`, `+build`); `None` without a major number.
    fn numbers(&self) -> Option<(u32, u32, u32)> {
        let core = self.0.trim().split(['-', '+']).next().unwrap_or_default();
        let mut parts = core.split('.').map(|p| p.parse::<u32>().ok());
        let major = parts.next().flatten()?;
        let mut next = || parts.next().flatten().unwrap_or(0);
        let minor = next();
        let patch = next();
        Some((major, minor, patch))
    }
}

impl fmt::Display for BrokerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for BrokerVersion {
    fn from(text: &str) -> BrokerVersion {
        BrokerVersion::new(text)
    }
}

impl From<&String> for BrokerVersion {
    fn from(text: &String) -> BrokerVersion {
        BrokerVersion::new(text.as_str())
    }
}

impl From<String> for BrokerVersion {
    fn from(text: String) -> BrokerVersion {
        BrokerVersion(text)
    }
}

impl PartialEq<String> for BrokerVersion {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl PartialEq<&str> for BrokerVersion {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_least(version: &str, (major, minor, patch): (u32, u32, u32)) -> bool {
        BrokerVersion::from(version).at_least(major, minor, patch)
    }

    #[test]
    fn versions_compare_numerically() {
        assert!(!at_least("3.10.8", (3, 11, 17)));
        assert!(at_least("3.11.17", (3, 11, 17)));
        assert!(at_least("3.13.0", (3, 11, 17)));
        assert!(at_least("4.0.1-rc.1", (3, 11, 17)));
        assert!(at_least("3.10.8", (3, 10, 0)));
        assert!(at_least("4.0.1", (3, 10, 0)));
        assert!(!at_least("3.9.29", (3, 10, 0)));
        assert!(at_least("4", (3, 10, 0)), "missing numbers count as 0");
        assert!(!at_least("3", (3, 10, 0)));
    }

    // The two comparisons this type replaces disagreed: the vhost writer
    // took an unreadable version for a recent one (and would send tags as
    // a list to a broker that takes only a string), the planner for an old
    // one. The old reading is the one that sends nothing a broker refuses.
    #[test]
    fn an_unreadable_version_is_older_than_every_version() {
        for unreadable in ["", "unknown", "v3.12.0", " "] {
            assert!(!at_least(unreadable, (0, 0, 1)), "{unreadable:?}");
            assert!(!at_least(unreadable, (3, 10, 0)), "{unreadable:?}");
        }
    }

    #[test]
    fn it_serialises_as_the_text_the_broker_gave() {
        let v = BrokerVersion::from("3.10.8");
        assert_eq!(serde_json::to_string(&v).unwrap(), "\"3.10.8\"");
        assert_eq!(v.to_string(), "3.10.8");
    }
}
