//! The fingerprint of a topology: a short digest of its normal form, by
//! which a saved plan is matched with its files and with the live state it
//! was computed from. No I/O.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::model::ObjectId;
use crate::normalize::AsNormal;

/// A short digest of a topology's normal form (and binding keys). The JSON
/// is streamed into the hash: the objects' fields serialise in a fixed
/// order and their maps are sorted, so the same topology always hashes the
/// same. Route assertions are checks of the files, not state, and are left
/// out.
pub fn fingerprint(topology: &impl AsNormal, binding_keys: &BTreeMap<ObjectId, String>) -> String {
    let normal = topology.as_normal();
    struct Hashing(Sha256);
    impl std::io::Write for Hashing {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.update(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let state = (
        &normal.vhosts,
        &normal.exchanges,
        &normal.queues,
        &normal.bindings,
        &normal.policies,
        binding_keys.iter().collect::<Vec<_>>(),
    );
    // serde_json writes a token at a time; the buffer hashes in blocks.
    let mut hashing = std::io::BufWriter::with_capacity(1 << 16, Hashing(Sha256::new()));
    serde_json::to_writer(&mut hashing, &state).expect("model values serialise to JSON");
    let Ok(Hashing(hasher)) = hashing.into_inner() else {
        unreachable!("hashing cannot fail")
    };
    let digest = hasher.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::fixtures::{FULL, topology};

    #[test]
    fn the_fingerprint_ignores_order_and_sees_every_change() {
        let a = topology(FULL);
        let mut b = a.clone();
        b.queues.reverse();
        assert_eq!(
            fingerprint(&a, &BTreeMap::new()),
            fingerprint(&b, &BTreeMap::new())
        );
        b.queues[0].auto_delete = true;
        assert_ne!(
            fingerprint(&a, &BTreeMap::new()),
            fingerprint(&b, &BTreeMap::new())
        );
    }
}
