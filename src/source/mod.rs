//! Reading documents from the search server: which documents are pending, paging through them
//! (point-in-time + `search_after`, or scroll), and extracting each document's message.

pub mod extract;

pub use extract::{ExtractConfig, ExtractConfigError, Extractor, MessageSpec, SkipReason};
pub mod reader;

pub use reader::{spawn_readers, ReadEvent};
