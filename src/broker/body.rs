//! An answer's body, read within bounds: at most [`MAX_BODY_BYTES`] on the
//! wire and at most as many once a gzip body is inflated, so a server that
//! streams without end, or a small gzip bomb, ends the request with an
//! error in bounded memory instead of filling it. The bound is on all the
//! answers a client holds at once (reads run in parallel), from the first
//! byte received until the answer is dropped, so it bounds the memory of a
//! command however many reads are in flight.
//!
//! The limit comes from the largest answer warren asks for: a vhost's
//! bindings, about 240 bytes a binding on RabbitMQ 3.10.8 (measured: 480 KB
//! for 1,000 queues each bound once, with their 1,000 default-exchange
//! bindings), and queues about 190 bytes each. 128 MiB holds some 500,000
//! bindings or 700,000 queues in one vhost, 25 times the 20,000 queues at
//! which warren is benchmarked, where the largest listing is under 10 MB.
//!
//! It takes the bytes it is handed and does no I/O: the client reads the
//! chunks and feeds them in.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use flate2::write::MultiGzDecoder;

/// The most bytes of the answers a client holds at once, as sent and as
/// inflated.
pub(crate) const MAX_BODY_BYTES: usize = 128 << 20;

/// The bytes the answers of one client may hold at once, shared by its
/// clones.
#[derive(Debug)]
pub(crate) struct Budget {
    limit: usize,
    in_use: AtomicUsize,
}

impl Budget {
    pub(crate) fn new(limit: usize) -> Arc<Budget> {
        Arc::new(Budget {
            limit,
            in_use: AtomicUsize::new(0),
        })
    }

    /// Takes `n` bytes; false (and nothing taken) past the limit.
    fn take(&self, n: usize) -> bool {
        self.in_use
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(n).filter(|&total| total <= self.limit)
            })
            .is_ok()
    }

    fn give_back(&self, n: usize) {
        self.in_use.fetch_sub(n, Ordering::AcqRel);
    }
}

/// Why a body was not read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// More than the limit, sent or inflated.
    TooLarge { limit: usize },
    /// A gzip body that does not inflate, or an encoding not asked for.
    Unreadable(String),
}

/// A body being received, plain or gzip, within its budget.
pub(crate) struct BoundedBody {
    sink: Sink,
    /// The bytes as sent: counted against the limit on their own, since a
    /// gzip body can be long and inflate to nothing.
    received: usize,
    limit: usize,
}

enum Sink {
    Plain(Body),
    Gzip(Box<MultiGzDecoder<Body>>),
}

/// A body's bytes, taken from the budget and given back when dropped.
pub(crate) struct Body {
    bytes: Vec<u8>,
    /// The bytes taken from the budget for `bytes`' allocation.
    counted: usize,
    budget: Arc<Budget>,
    exceeded: bool,
}

impl std::ops::Deref for Body {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for Body {
    fn drop(&mut self) {
        self.budget.give_back(self.counted);
    }
}

impl Write for Body {
    /// Grows the buffer itself, counting what it allocates (its capacity,
    /// not its length: a doubling `Vec` would hold up to twice what the
    /// budget counted, and briefly three times while it moves).
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let needed = self.bytes.len() + data.len();
        let capacity = self.counted;
        if needed > capacity {
            let grown = needed.max(capacity.saturating_mul(2)).max(8 << 10);
            // Past the budget, grow only to what is needed, so the last
            // bytes an answer may hold still fit.
            let target = if self.budget.take(grown - capacity) {
                grown
            } else if self.budget.take(needed - capacity) {
                needed
            } else {
                self.exceeded = true;
                return Err(std::io::Error::other("the answers are over their limit"));
            };
            self.counted += target - capacity;
            self.bytes.reserve_exact(target - self.bytes.len());
        }
        self.bytes.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl BoundedBody {
    /// A body of `content_encoding` (the header's value, if any), held
    /// within `budget`; `declared` is its `Content-Length`, refused at
    /// once when it is over the limit.
    pub(crate) fn new(
        content_encoding: Option<&str>,
        declared: Option<u64>,
        budget: &Arc<Budget>,
    ) -> Result<BoundedBody, BodyError> {
        let limit = budget.limit;
        if declared.is_some_and(|length| length > limit as u64) {
            return Err(BodyError::TooLarge { limit });
        }
        let buffer = Body {
            bytes: Vec::new(),
            counted: 0,
            budget: Arc::clone(budget),
            exceeded: false,
        };
        let encoding = content_encoding.map(|e| e.trim().to_ascii_lowercase());
        let sink = match encoding.as_deref() {
            None | Some("" | "identity") => Sink::Plain(buffer),
            Some("gzip" | "x-gzip") => Sink::Gzip(Box::new(MultiGzDecoder::new(buffer))),
            Some(other) => {
                return Err(BodyError::Unreadable(format!(
                    "it is encoded as '{other}', which warren did not ask for"
                )));
            }
        };
        Ok(BoundedBody {
            sink,
            received: 0,
            limit,
        })
    }

    /// Takes the next chunk as received.
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Result<(), BodyError> {
        self.received += chunk.len();
        if self.received > self.limit {
            return Err(BodyError::TooLarge { limit: self.limit });
        }
        let limit = self.limit;
        match &mut self.sink {
            Sink::Plain(buffer) => buffer
                .write_all(chunk)
                .map_err(|_| BodyError::TooLarge { limit }),
            Sink::Gzip(decoder) => decoder
                .write_all(chunk)
                .map_err(|e| gzip_error(decoder.get_ref(), &e)),
        }
    }

    /// The whole body, inflated; its bytes stay in the budget until it is
    /// dropped.
    pub(crate) fn finish(self) -> Result<Body, BodyError> {
        match self.sink {
            Sink::Plain(buffer) => Ok(buffer),
            Sink::Gzip(mut decoder) => {
                decoder
                    .try_finish()
                    .map_err(|e| gzip_error(decoder.get_ref(), &e))?;
                decoder
                    .finish()
                    .map_err(|e| BodyError::Unreadable(format!("its gzip does not inflate: {e}")))
            }
        }
    }
}

/// A gzip failure: the inflated body over its budget, or bad gzip.
fn gzip_error(buffer: &Body, error: &std::io::Error) -> BodyError {
    if buffer.exceeded {
        BodyError::TooLarge {
            limit: buffer.budget.limit,
        }
    } else {
        BodyError::Unreadable(format!("its gzip does not inflate: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn read(encoding: Option<&str>, chunks: &[&[u8]], limit: usize) -> Result<Vec<u8>, BodyError> {
        let budget = Budget::new(limit);
        let mut body = BoundedBody::new(encoding, None, &budget)?;
        for chunk in chunks {
            body.push(chunk)?;
        }
        let bytes = body.finish()?.to_vec();
        assert_eq!(budget.in_use.load(Ordering::Acquire), 0, "given back");
        Ok(bytes)
    }

    #[test]
    fn a_body_within_its_limit_reads_whole_plain_or_gzip() {
        let json = br#"[{"name":"q"}]"#;
        assert_eq!(read(None, &[&json[..4], &json[4..]], 14), Ok(json.to_vec()));
        assert_eq!(read(Some("identity"), &[json], 14), Ok(json.to_vec()));
        let packed = gzip(json);
        let (a, b) = packed.split_at(7);
        assert_eq!(read(Some("gzip"), &[a, b], 64), Ok(json.to_vec()));
        assert_eq!(read(Some("X-Gzip"), &[&packed], 64), Ok(json.to_vec()));
    }

    #[test]
    fn a_body_over_its_limit_is_refused_sent_declared_or_inflated() {
        let too_large = Err(BodyError::TooLarge { limit: 10 });
        assert_eq!(read(None, &[b"0123456", b"89ab"], 10), too_large);
        assert!(matches!(
            BoundedBody::new(None, Some(11), &Budget::new(10)),
            Err(BodyError::TooLarge { limit: 10 })
        ));
        // A bomb: 1 MB of zeros is 1 KB of gzip, and inflates past 10 bytes.
        let bomb = gzip(&vec![b'0'; 1 << 20]);
        assert!(bomb.len() < 2048, "{}", bomb.len());
        assert_eq!(read(Some("gzip"), &[&bomb], 10), too_large);
        // The sent bytes count too, whatever they inflate to.
        let empty_members: Vec<u8> = (0..4).flat_map(|_| gzip(b"")).collect();
        assert!(empty_members.len() > 10);
        assert_eq!(read(Some("gzip"), &[&empty_members], 10), too_large);
    }

    #[test]
    fn the_answers_held_at_once_share_one_limit() {
        let budget = Budget::new(10);
        let mut first = BoundedBody::new(None, None, &budget).unwrap();
        first.push(b"012345").unwrap();
        let first = first.finish().unwrap();
        let mut second = BoundedBody::new(None, None, &budget).unwrap();
        assert_eq!(
            second.push(b"01234"),
            Err(BodyError::TooLarge { limit: 10 })
        );
        drop(second);
        drop(first);
        let mut third = BoundedBody::new(None, None, &budget).unwrap();
        assert_eq!(third.push(b"0123456789"), Ok(()));
    }

    #[test]
    fn bad_gzip_and_unasked_encodings_are_unreadable() {
        assert!(matches!(
            read(Some("gzip"), &[b"not gzip at all"], 100),
            Err(BodyError::Unreadable(_))
        ));
        let packed = gzip(b"[1,2,3]");
        assert!(matches!(
            read(Some("gzip"), &[&packed[..packed.len() - 4]], 100),
            Err(BodyError::Unreadable(_))
        ));
        assert_eq!(
            read(Some("br"), &[b"x"], 100),
            Err(BodyError::Unreadable(
                "it is encoded as 'br', which warren did not ask for".into()
            ))
        );
    }
}
