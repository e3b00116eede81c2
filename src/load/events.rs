//! libyaml's event stream, one event at a time: for the quick passes made
//! over a file (counting its nodes, finding the vhosts it declares) and for
//! deserialising a plain file straight from its events (`direct`). It holds
//! no more than the current event, so a pass costs a parse and no memory;
//! the unsafe calls into libyaml live here only.

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

/// How the current node is written, beyond what its [`Event`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// A scalar written without quotes (or block indicators): only such a
    /// scalar can mean a number, a boolean or null.
    pub plain: bool,
    /// The node has a tag (`!!str 1`) or an anchor (`&a`).
    pub decorated: bool,
}

/// The events of one YAML text, after the stream's start. Ends at the
/// stream's end or at the first syntax error (which serde_yaml will report).
pub struct Events<'t> {
    parser: Box<MaybeUninit<unsafe_libyaml::yaml_parser_t>>,
    initialised: bool,
    event: Option<unsafe_libyaml::yaml_event_t>,
    done: bool,
    failed: bool,
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
            failed: !initialised,
            _text: std::marker::PhantomData,
        };
        if !events.done && events.advance() != Some(unsafe_libyaml::YAML_STREAM_START_EVENT) {
            events.done = true;
        }
        events
    }

    /// The next event, or `None` at the end of the stream or on an error.
    pub fn next_event(&mut self) -> Option<Event<'_>> {
        self.step();
        self.current()
    }

    /// Moves to the next event (see [`Events::current`]); false at the end
    /// of the stream or on an error.
    pub fn step(&mut self) -> bool {
        self.advance().is_some()
    }

    /// Whether the stream stopped at a syntax error rather than its end.
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// The current event again, or `None` once the stream is over.
    pub fn current(&self) -> Option<Event<'_>> {
        let event = self.event.as_ref()?;
        Some(match event.type_ {
            unsafe_libyaml::YAML_DOCUMENT_START_EVENT => Event::DocumentStart,
            unsafe_libyaml::YAML_DOCUMENT_END_EVENT => Event::DocumentEnd,
            unsafe_libyaml::YAML_MAPPING_START_EVENT => Event::MappingStart,
            unsafe_libyaml::YAML_MAPPING_END_EVENT => Event::MappingEnd,
            unsafe_libyaml::YAML_SEQUENCE_START_EVENT => Event::SequenceStart,
            unsafe_libyaml::YAML_SEQUENCE_END_EVENT => Event::SequenceEnd,
            unsafe_libyaml::YAML_SCALAR_EVENT => {
                // SAFETY: a scalar event's value points at `length` bytes
                // owned by the event, which lives until the next advance
                // (the borrow of `self` ends before it).
                let scalar = unsafe { event.data.scalar };
                Event::Scalar(unsafe {
                    std::slice::from_raw_parts(scalar.value, scalar.length as usize)
                })
            }
            unsafe_libyaml::YAML_ALIAS_EVENT => Event::Alias,
            // The stream's start, before the first step.
            _ => return None,
        })
    }

    /// How the current node is written; plain and undecorated for events
    /// that are not nodes.
    pub fn style(&self) -> Style {
        let undecorated = Style {
            plain: true,
            decorated: false,
        };
        let Some(event) = self.event.as_ref() else {
            return undecorated;
        };
        // SAFETY: each union field is read for its own event type only.
        unsafe {
            match event.type_ {
                unsafe_libyaml::YAML_SCALAR_EVENT => {
                    let scalar = event.data.scalar;
                    Style {
                        plain: scalar.style == unsafe_libyaml::YAML_PLAIN_SCALAR_STYLE,
                        decorated: !scalar.anchor.is_null() || !scalar.tag.is_null(),
                    }
                }
                unsafe_libyaml::YAML_MAPPING_START_EVENT => {
                    let mapping = event.data.mapping_start;
                    Style {
                        plain: true,
                        decorated: !mapping.anchor.is_null() || !mapping.tag.is_null(),
                    }
                }
                unsafe_libyaml::YAML_SEQUENCE_START_EVENT => {
                    let sequence = event.data.sequence_start;
                    Style {
                        plain: true,
                        decorated: !sequence.anchor.is_null() || !sequence.tag.is_null(),
                    }
                }
                _ => undecorated,
            }
        }
    }

    /// How far the parse has read, in characters of the text (at most its
    /// length in bytes): the end of the current event.
    pub fn position(&self) -> usize {
        self.event
            .as_ref()
            .map_or(0, |event| event.end_mark.index as usize)
    }

    /// Deletes the current event and parses the next one; its type, or
    /// `None` at the stream's end (the event is then deleted too) or on an
    /// error.
    fn advance(&mut self) -> Option<unsafe_libyaml::yaml_event_type_t> {
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
            self.failed = true;
            return None;
        }
        // SAFETY: a successful parse filled the event.
        let event = unsafe { event.assume_init() };
        let kind = event.type_;
        self.event = Some(event);
        if kind == unsafe_libyaml::YAML_STREAM_END_EVENT {
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
