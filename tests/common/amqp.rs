//! AMQP for the broker tests: the URL of a test vhost, and a
//! [`TestConsumer`] that holds a consumer on a queue for as long as it
//! lives (with lapin, as the examples use), for tests of what warren does
//! to a queue that has one.

use std::time::{Duration, Instant};

use lapin::options::BasicConsumeOptions;
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ConnectionProperties, Consumer};

use super::broker::{TestVhost, broker, enc};

/// The AMQP URL of `vhost` on the test broker (`common::broker`, which
/// knows each broker's AMQP port and honours `WARREN_TEST_AMQP_URL`).
pub fn amqp_url(vhost: &str) -> String {
    format!("{}/{}", broker().amqp_url.trim_end_matches('/'), enc(vhost))
}

/// A consumer on a queue, cancelled (its connection closed) on drop.
pub struct TestConsumer {
    runtime: tokio::runtime::Runtime,
    connection: Option<Connection>,
    /// Kept: lapin closes a channel, and cancels a consumer, it drops.
    _held: Option<(Channel, Consumer)>,
}

impl TestConsumer {
    /// Starts consuming `queue` of `vhost`, and waits until the broker's
    /// statistics (what `warren plan` reads, up to 5 s late) count it.
    pub fn start(vhost: &TestVhost, queue: &str) -> TestConsumer {
        let consumer = TestConsumer::start_unseen(vhost, queue);
        let started = Instant::now();
        while consumer_count(vhost, queue) == 0 {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the broker never counted the consumer of {queue}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        consumer
    }

    /// Starts consuming `queue` of `vhost` and returns at once, before the
    /// broker's statistics can count it.
    pub fn start_unseen(vhost: &TestVhost, queue: &str) -> TestConsumer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let url = amqp_url(&vhost.name);
        let connection = runtime.block_on(async {
            let properties = ConnectionProperties::default()
                .with_connection_name("warren test consumer".into())
                .with_executor(tokio_executor_trait::Tokio::current())
                .with_reactor(tokio_reactor_trait::Tokio::current());
            let connection = Connection::connect(&url, properties)
                .await
                .unwrap_or_else(|e| panic!("AMQP connection to vhost {}: {e}", vhost.name));
            let channel = connection.create_channel().await.expect("a channel");
            let consumer = channel
                .basic_consume(
                    queue,
                    "warren-test-consumer",
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await
                .unwrap_or_else(|e| panic!("consume {queue}: {e}"));
            (connection, channel, consumer)
        });
        let (connection, channel, consumer) = connection;
        TestConsumer {
            runtime,
            connection: Some(connection),
            _held: Some((channel, consumer)),
        }
    }

    /// Whether the broker still has the connection open (a queue deleted
    /// under a consumer cancels the consumer, not the connection).
    pub fn is_connected(&self) -> bool {
        self.connection
            .as_ref()
            .is_some_and(|c| c.status().connected())
    }
}

impl Drop for TestConsumer {
    fn drop(&mut self) {
        self._held = None;
        if let Some(connection) = self.connection.take() {
            let _ = self
                .runtime
                .block_on(async { connection.close(200, "test done").await });
        }
    }
}

/// The consumers of `queue` as the broker's statistics count them.
pub fn consumer_count(vhost: &TestVhost, queue: &str) -> u64 {
    broker()
        .get(&format!(
            "{}?columns=consumers",
            vhost.path("queues", &[queue])
        ))
        .and_then(|q| q["consumers"].as_u64())
        .unwrap_or(0)
}
