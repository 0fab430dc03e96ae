//! The names of small domains, held whole by every worker.
//!
//! Event types, category ids, codes and brands number in the thousands. Resolving
//! them with a join against the [`Dictionary`](super::Dictionary) would move every
//! row to the worker of its key, and arrange it there: for a per-user report that
//! is every user's row, and all the rows of a popular code land on one worker.
//! Broadcasting the few thousand names instead lets each row be resolved where
//! it already is, with a hash lookup.

use std::borrow::Cow;
use std::collections::HashMap;

use differential_dataflow::{AsCollection, ExchangeData};
use foldhash::fast::RandomState;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::vec::Broadcast;
use timely::dataflow::operators::Capability;
use timely::dataflow::Stream;

use super::{own_text, Coll, TextKey, Time};

type Updates<D> = Vec<(D, Time, isize)>;

/// Rows that arrived before the names of their time, with the capability to send them.
type Waiting<D> = Vec<(Capability<Time>, Updates<D>)>;

/// The texts of small-domain names by key, as an operator keeps them; keys that
/// hold their own text are not there (see [`text_of`]).
pub type Texts = HashMap<TextKey, String, RandomState>;

/// The text of `key`: its own, or the one `texts` keeps.
pub fn text_of(texts: &Texts, key: TextKey) -> Option<Cow<'_, str>> {
    match own_text(key) {
        Some(text) => Some(Cow::Owned(text)),
        None => texts.get(&key).map(|text| Cow::Borrowed(text.as_str())),
    }
}

/// Files the names of one batch of [`SmallNames::stream`]. A key's text never
/// changes, and the domain is small: a name is never forgotten.
pub fn remember(texts: &mut Texts, batch: &mut Updates<(TextKey, String)>) {
    for ((key, text), _time, diff) in batch.drain(..) {
        if diff > 0 {
            texts.entry(key).or_insert(text);
        }
    }
}

/// Every worker's copy of the small-domain names.
#[derive(Clone)]
pub struct SmallNames<'s> {
    names: Stream<'s, Time, Updates<(TextKey, String)>>,
}

impl<'s> SmallNames<'s> {
    /// `names` must hold small domains only: every worker receives all of it.
    pub fn broadcast(names: &Coll<'s, (TextKey, String)>) -> Self {
        SmallNames { names: names.inner.clone().broadcast() }
    }

    /// The names as every worker receives them, for an operator to keep.
    pub fn stream(&self) -> Stream<'s, Time, Updates<(TextKey, String)>> {
        self.names.clone()
    }

    /// Replaces both keys of each row by their texts, on the row's own worker.
    ///
    /// A row waits until every name of its time has arrived. A name is never
    /// forgotten: a key's text never changes, and the domain is small.
    pub fn resolve_pair<V: ExchangeData>(
        &self,
        rows: Coll<'s, ((TextKey, TextKey), V)>,
    ) -> Coll<'s, ((String, String), V)> {
        let stream = rows.inner.binary_frontier(
            self.names.clone(),
            Pipeline,
            Pipeline,
            "ResolveSmallNames",
            |_capability, _info| {
                let mut texts = Texts::default();
                let mut waiting: Waiting<((TextKey, TextKey), V)> = Vec::new();
                move |(rows, _), (names, names_frontier), output| {
                    names.for_each(|_capability, batch| remember(&mut texts, batch));
                    rows.for_each(|capability, batch| {
                        if let Some(capability) = capability.retain_least(output.output_index()) {
                            waiting.push((capability, std::mem::take(batch)));
                        }
                    });
                    waiting.retain_mut(|(capability, updates)| {
                        if updates.iter().any(|(_, time, _)| names_frontier.less_equal(time)) {
                            return true;
                        }
                        let mut session = output.session(&*capability);
                        for (((first, second), value), time, diff) in updates.drain(..) {
                            if let (Some(first), Some(second)) = (text_of(&texts, first), text_of(&texts, second)) {
                                session.give((((first.into_owned(), second.into_owned()), value), time, diff));
                            }
                        }
                        false
                    });
                }
            },
        );
        stream.as_collection()
    }
}
