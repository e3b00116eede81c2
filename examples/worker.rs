//! The consuming side of the order-events use case (`topologies/default.yaml`):
//! takes work from `jobs` and events from `order.events`, prints one line per
//! message (`worker 1: jobs {"job":"test1"}`,
//! `worker 1: order.events order.created {"order_id":1}`), and acknowledges
//! it once done.
//!
//! Fair dispatch: with a prefetch of 1 the broker hands each consumer one
//! message at a time, so a busy worker is not sent more while an idle one
//! waits. Acknowledgements are manual: a message whose worker dies before
//! acknowledging it goes back to the queue and is redelivered to another
//! worker (the line then ends with `(redelivered)`).
//!
//! ```sh
//! cargo run --example worker -- --id 1
//! cargo run --example worker -- --id 2 --work-ms 500   # a slow one
//! ```
//!
//! `AMQP_URL` picks the broker and vhost (default
//! `amqp://guest:guest@127.0.0.1:5672/%2f`).

use std::process::ExitCode;

use clap::Parser;
use futures_util::stream::{self, StreamExt};
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};

/// Consumes `jobs` and `order.events` with fair dispatch and manual acks.
#[derive(Parser)]
struct Args {
    /// The worker's number, shown on each line.
    #[arg(long, default_value_t = 1)]
    id: u32,
    /// Stop after this many messages (default: run until stopped).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    max: Option<u64>,
    /// Milliseconds of simulated work before each acknowledgement.
    #[arg(long, default_value_t = 0)]
    work_ms: u64,
}

type Error = Box<dyn std::error::Error>;

#[tokio::main]
async fn main() -> ExitCode {
    match work(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("worker: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn work(args: Args) -> Result<(), Error> {
    let url = std::env::var("AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_string());
    let properties = ConnectionProperties::default()
        .with_connection_name(format!("warren example worker {}", args.id).into())
        .with_executor(tokio_executor_trait::Tokio::current())
        .with_reactor(tokio_reactor_trait::Tokio::current());
    let connection = Connection::connect(&url, properties).await?;
    let channel = connection.create_channel().await?;

    // Fair dispatch: at most one unacknowledged message per consumer, so
    // this worker holds at most one job and one event, working on one while
    // the other waits; everything else stays in the queues for other workers.
    channel.basic_qos(1, BasicQosOptions::default()).await?;

    let mut consumers = Vec::new();
    for queue in ["jobs", "order.events"] {
        let tag = format!("worker-{}-{queue}", args.id);
        // The default options leave no_ack off: every message waits for our ack.
        let consumer = channel
            .basic_consume(
                queue,
                &tag,
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        consumers.push(consumer.map(move |delivery| (queue, delivery)));
    }
    let mut deliveries = stream::select_all(consumers);
    eprintln!("worker {}: waiting on jobs and order.events", args.id);

    let mut processed = 0;
    while let Some((queue, delivery)) = deliveries.next().await {
        let delivery = delivery?;
        // `jobs {"job":"test1"}`, `order.events order.created {"order_id":1}`:
        // on order.events the routing key tells the events apart.
        let mut line = format!("worker {}: {queue}", args.id);
        if delivery.routing_key.as_str() != queue {
            line.push_str(&format!(" {}", delivery.routing_key));
        }
        line.push_str(&format!(" {}", String::from_utf8_lossy(&delivery.data)));
        if delivery.redelivered {
            line.push_str(" (redelivered)");
        }
        println!("{line}");

        // The work itself. Until the ack below, the broker keeps the
        // message and gives it to another worker if this one dies.
        tokio::time::sleep(std::time::Duration::from_millis(args.work_ms)).await;
        delivery.ack(BasicAckOptions::default()).await?;

        processed += 1;
        if args.max == Some(processed) {
            break;
        }
    }

    // Closing returns any message prefetched but not processed to its queue.
    connection.close(200, "worker done").await?;
    Ok(())
}
