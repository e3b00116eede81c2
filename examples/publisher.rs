//! The publishing side of the order-events use case (`topologies/default.yaml`):
//! for each order, the events `order.created`, `order.updated` and
//! `order.completed` go to the topic exchange `events`, and one job goes to
//! the work queue `jobs` through the default exchange.
//!
//! Every message is persistent (delivery mode 2) and confirmed by the broker
//! (publisher confirms), and is published `mandatory`: a message that no
//! queue takes comes back and is an error, so a missing topology fails loudly
//! instead of dropping messages. Declaring that topology is warren's job, not
//! this program's: run `scripts/quickstart` first.
//!
//! ```sh
//! cargo run --example publisher -- --count 3
//! AMQP_URL=amqp://user:password@broker:5672/orders cargo run --example publisher
//! ```

use std::process::ExitCode;

use clap::Parser;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::{BasicProperties, Connection, ConnectionProperties};
use serde_json::json;

/// Publishes order events to `events` and jobs to `jobs`.
#[derive(Parser)]
struct Args {
    /// How many orders: each one is three events (order IDs 1..=N) and one job.
    #[arg(long, default_value_t = 1)]
    count: u64,
}

type Error = Box<dyn std::error::Error>;

#[tokio::main]
async fn main() -> ExitCode {
    match publish_orders(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("publisher: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn publish_orders(args: Args) -> Result<(), Error> {
    let url = std::env::var("AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_string());
    let properties = ConnectionProperties::default()
        .with_connection_name("warren example publisher".into())
        .with_executor(tokio_executor_trait::Tokio::current())
        .with_reactor(tokio_reactor_trait::Tokio::current());
    let connection = Connection::connect(&url, properties).await?;
    let channel = connection.create_channel().await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;

    for order_id in 1..=args.count {
        for event in ["order.created", "order.updated", "order.completed"] {
            publish(&channel, "events", event, json!({"order_id": order_id})).await?;
        }
        // The default exchange ("") routes by queue name.
        let job = json!({"job": format!("test{order_id}")});
        publish(&channel, "", "jobs", job).await?;
    }

    connection.close(200, "published").await?;
    Ok(())
}

/// Publishes one persistent JSON message and waits for the broker's confirm.
async fn publish(
    channel: &lapin::Channel,
    exchange: &str,
    routing_key: &str,
    payload: serde_json::Value,
) -> Result<(), Error> {
    let body = serde_json::to_vec(&payload)?;
    let properties = BasicProperties::default()
        .with_content_type("application/json".into())
        .with_delivery_mode(2); // persistent: written to disk in a durable queue
    let mandatory = BasicPublishOptions {
        mandatory: true,
        ..BasicPublishOptions::default()
    };
    let confirmation = channel
        .basic_publish(exchange, routing_key, mandatory, &body, properties)
        .await? // sent
        .await?; // confirmed (or refused) by the broker
    let shown_exchange = if exchange.is_empty() {
        "(default)"
    } else {
        exchange
    };
    if !confirmation.is_ack() {
        return Err(format!("the broker refused {routing_key} on {shown_exchange} (nack)").into());
    }
    if confirmation.take_message().is_some() {
        return Err(format!(
            "{routing_key} on {shown_exchange} reached no queue: apply the topology first (scripts/quickstart)"
        )
        .into());
    }
    println!("publisher: {shown_exchange} {routing_key} {payload}");
    Ok(())
}
