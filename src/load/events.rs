//! libyaml's event stream, one event at a time, for the quick passes made
//! over a file before serde_yaml loads it (counting its nodes, finding the
//! vhosts it declares). It holds no more than the current event, so a pass
//! costs a parse and no memory; the unsafe calls into libyaml live here
//! only.

use std::mem::MaybeUninit;

/// One parse event, borrowed from the stream until the next one is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    DocumentStart,
    DocumentEnd,
    MappingStart,
    MappingEnd,
    SequenceStart,
    SequenceEnd,
    /// A scalar's text, as written after quoting and escapes are undone.
    Scalar(&'a [u8]),
    Alias,
}

/// The events of one YAML text, after the stream's start. Ends at the
/// stream's end or at the first syntax error (which serde_yaml will report).
pub struct Events<'t> {
    parser: Box<MaybeUninit<unsafe_libyaml::yaml_parser_t>>,
    initialised: bool,
    event: Option<unsafe_libyaml::yaml_event_t>,
    done: bool,
    _text: std::marker::PhantomData<&'t [u8]>,
}

impl<'t> Events<'t> {
    pub fn new(text: &'t [u8]) -> Events<'t> {
        // The parser stays boxed: libyaml keeps pointers into it.
        let mut parser = Box::new(MaybeUninit::<unsafe_libyaml::yaml_parser_t>::uninit());
        // SAFETY: initialising fills the parser; on failure it is never used
        // or deleted. The input pointer and length are
        // `text`'s, which outlives `self` ('t).
        let initialised = unsafe {
            if unsafe_libyaml::yaml_parser_initialize(parser.as_mut_ptr()).fail {
                false
            } else {
                unsafe_libyaml::yaml_parser_set_input_string(
                    parser.as_mut_ptr(),
                    text.as_ptr(),
                    text.len() as u64,
                );
                true
            }
        };
        let mut events = Events {
            parser,
            initialised,
            event: None,
            done: !initialised,
            _text: std::marker::PhantomData,
        };
        if !events.done && !matches!(events.advance(), Some(StreamStart)) {
            events.done = true;
        }
        events
    }

    /// The next event, or `None` at the end of the stream or on an error.
    pub fn next_event(&mut self) -> Option<Event<'_>> {
        let kind = self.advance()?;
        let event = self.event.as_ref()?;
        Some(match kind {
            StreamStart | StreamEnd => unreachable!("advance ends at the stream's end"),
            Other(unsafe_libyaml::YAML_DOCUMENT_START_EVENT) => Event::DocumentStart,
            Other(unsafe_libyaml::YAML_DOCUMENT_END_EVENT) => Event::DocumentEnd,
            Other(unsafe_libyaml::YAML_MAPPING_START_EVENT) => Event::MappingStart,
            Other(unsafe_libyaml::YAML_MAPPING_END_EVENT) => Event::MappingEnd,
            Other(unsafe_libyaml::YAML_SEQUENCE_START_EVENT) => Event::SequenceStart,
            Other(unsafe_libyaml::YAML_SEQUENCE_END_EVENT) => Event::SequenceEnd,
            Other(unsafe_libyaml::YAML_SCALAR_EVENT) => {
                // SAFETY: a scalar event's value points at `length` bytes
                // owned by the event, which lives until the next advance
                // (the borrow of `self` ends before it).
                let scalar = unsafe { event.data.scalar };
                Event::Scalar(unsafe {
                    std::slice::from_raw_parts(scalar.value, scalar.length as usize)
                })
            }
            Other(_) => Event::Alias,
        })
    }

    /// How far the parse has read, in characters of the text (at most its
    /// length in bytes): the end of the current event.
    pub fn position(&self) -> usize {
        self.event
            .as_ref()
            .map_or(0, |event| event.end_mark.index as usize)
    }

    /// Deletes the current event and parses the next one.
    fn advance(&mut self) -> Option<Kind> {
        self.delete_event();
        if self.done {
            return None;
        }
        let mut event = MaybeUninit::<unsafe_libyaml::yaml_event_t>::uninit();
        // SAFETY: the parser was initialised; a failed parse leaves the
        // event empty, and it is then neither read nor deleted.
        if unsafe {
            unsafe_libyaml::yaml_parser_parse(self.parser.as_mut_ptr(), event.as_mut_ptr())
        }
        .fail
        {
            self.done = true;
            return None;
        }
        // SAFETY: a successful parse filled the event.
        let event = unsafe { event.assume_init() };
        let kind = match event.type_ {
            unsafe_libyaml::YAML_STREAM_START_EVENT => StreamStart,
            unsafe_libyaml::YAML_STREAM_END_EVENT => StreamEnd,
            other => Other(other),
        };
        self.event = Some(event);
        if kind == StreamEnd {
            self.done = true;
            self.delete_event();
            return None;
        }
        Some(kind)
    }

    fn delete_event(&mut self) {
        if let Some(mut event) = self.event.take() {
            // SAFETY: the event was filled by a successful parse and is
            // deleted once (it was taken out of `self.event`).
            unsafe { unsafe_libyaml::yaml_event_delete(&mut event) };
        }
    }
}

impl Drop for Events<'_> {
    fn drop(&mut self) {
        self.delete_event();
        if self.initialised {
            // SAFETY: the parser was initialised and is deleted once.
            unsafe { unsafe_libyaml::yaml_parser_delete(self.parser.as_mut_ptr()) };
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    StreamStart,
    StreamEnd,
    Other(unsafe_libyaml::yaml_event_type_t),
}
use Kind::{Other, StreamEnd, StreamStart};
