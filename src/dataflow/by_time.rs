//! Updates held back until their time is complete, for operators that act on
//! each time's updates as a whole, in time order.

use std::collections::BTreeMap;

use timely::dataflow::operators::Capability;

use super::Time;

/// Each open time's buffer, with the capability to send what the time derives.
#[derive(Default)]
pub struct ByTime<B> {
    pending: BTreeMap<Time, (Capability<Time>, B)>,
}

impl<B: Default> ByTime<B> {
    /// The buffer of `time`, made (with the capability `capability` gives) on first use.
    pub fn buffer(&mut self, time: Time, capability: impl FnOnce() -> Capability<Time>) -> &mut B {
        &mut self.pending.entry(time).or_insert_with(|| (capability(), B::default())).1
    }

    /// The earliest held time no longer `open`, with its capability and buffer.
    pub fn next_complete(&mut self, open: impl Fn(&Time) -> bool) -> Option<(Time, Capability<Time>, B)> {
        let entry = self.pending.first_entry().filter(|entry| !open(entry.key()))?;
        let (time, (capability, buffer)) = entry.remove_entry();
        Some((time, capability, buffer))
    }
}
