//! Arbitrary bytes as a topology file: parsing, validation and the route
//! assertions it may hold (`validate` routes each one), then routing
//! through whatever loaded. Nothing may panic, and every error must name
//! the file, as `warren validate` promises.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warren::load;
use warren::route::{Message, Router};

const NAME: &str = "fuzz.yaml";

fuzz_target!(|data: &[u8]| {
    match load::load_sources(vec![(NAME.to_string(), data.to_vec())]) {
        Ok(loaded) => {
            let router = Router::new(&loaded.topology);
            for exchange in &loaded.topology.exchanges {
                let message = Message {
                    vhost: &exchange.vhost,
                    exchange: &exchange.name,
                    routing_key: "a.b.c",
                    headers: &Default::default(),
                };
                let _ = router.route(&message);
            }
        }
        Err(failed) => {
            assert!(!failed.errors.is_empty(), "a failed load lists no error");
            for error in &failed.errors {
                assert_eq!(error.file.as_deref(), Some(NAME), "{error}");
            }
        }
    }
});
