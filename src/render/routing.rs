//! Where a message goes (`warren route`): the queues it reaches, one per
//! line on stdout, with a note on stderr when it reaches none or is sent
//! on to an exchange the files do not declare; or one JSON document. It
//! formats what `route` found; it routes nothing itself.

use serde_json::json;

use super::{Format, print_stderr, print_stdout};
use crate::route::{Message, Routed};

/// The view of `warren route`.
pub fn show_route(message: &Message<'_>, routed: &Routed, format: Format) {
    match format {
        Format::Json => print_stdout(&render_route_json(message, routed)),
        Format::Text | Format::Markdown => {
            let mut out = String::new();
            for queue in &routed.queues {
                out.push_str(queue);
                out.push('\n');
            }
            print_stdout(&out);
            if routed.queues.is_empty() {
                let name = if message.exchange.is_empty() {
                    "the default exchange".to_string()
                } else {
                    format!("exchange '{}'", message.exchange)
                };
                print_stderr(&format!(
                    "no queue: {name} in vhost '{}' routes '{}' nowhere (the message would be dropped, or returned if mandatory)\n",
                    message.vhost, message.routing_key
                ));
            }
            for missing in &routed.missing_exchanges {
                print_stderr(&format!(
                    "warning: the message is sent on to exchange '{missing}', which is not declared\n"
                ));
            }
        }
    }
}

/// The route as a versioned JSON document.
pub fn render_route_json(message: &Message<'_>, routed: &Routed) -> String {
    let doc = json!({
        "format_version": 1,
        "vhost": message.vhost,
        "exchange": message.exchange,
        "routing_key": message.routing_key,
        "headers": message.headers,
        "queues": routed.queues,
        "exchanges": routed.exchanges,
        "missing_exchanges": routed.missing_exchanges,
    });
    format!("{}\n", serde_json::to_string_pretty(&doc).unwrap())
}
