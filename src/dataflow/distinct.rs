//! Each text once under its key, counted in a hash map rather than reduced.
//!
//! The dictionary must hold each (key, text) once however many files and workers
//! read it. `reduce` would arrange every name on its way in and again on its way
//! out: two sorted copies of every user's name. A key always has the same text,
//! so a count per key says whether the name is present, and the text itself
//! travels with the update that adds or removes it.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use differential_dataflow::{AsCollection, Hashable};
use foldhash::fast::RandomState;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::Operator;

use super::by_time::ByTime;
use super::{Coll, TextKey, Time};

/// `(key, text)` once for every key whose updates sum above zero.
///
/// Updates wait until their time is complete, and times are applied in order.
pub fn each_once<'s>(names: Coll<'s, (TextKey, String)>) -> Coll<'s, (TextKey, String)> {
    let by_key = Exchange::new(|((key, _), _, _): &((TextKey, String), Time, isize)| key.hashed());
    let stream = names.inner.unary_frontier(by_key, "EachOnce", |_capability, _info| {
        let mut pending: ByTime<Vec<((TextKey, String), isize)>> = ByTime::default();
        let mut counts: HashMap<TextKey, isize, RandomState> = HashMap::default();
        move |(input, frontier), output| {
            input.for_each(|capability, batch| {
                for (name, time, diff) in batch.drain(..) {
                    pending.buffer(time, || capability.delayed(&time, output.output_index())).push((name, diff));
                }
            });
            while let Some((time, capability, updates)) = pending.next_complete(|time| frontier.less_equal(time)) {
                let mut session = output.session(&capability);
                // Applied one by one, a key's updates may show and hide its name
                // more than once within the time; what is emitted still nets to
                // the name's presence at the end of it.
                for ((key, text), diff) in updates {
                    let (old, new) = match counts.entry(key) {
                        Entry::Vacant(vacant) => {
                            vacant.insert(diff);
                            (0, diff)
                        }
                        Entry::Occupied(mut occupied) => {
                            let old = *occupied.get();
                            *occupied.get_mut() += diff;
                            let new = *occupied.get();
                            if new == 0 {
                                occupied.remove();
                            }
                            (old, new)
                        }
                    };
                    match (old > 0, new > 0) {
                        (false, true) => session.give(((key, text), time, 1)),
                        (true, false) => session.give(((key, text), time, -1)),
                        _ => {}
                    }
                }
            }
        }
    });
    stream.as_collection()
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use std::rc::Rc;

    use differential_dataflow::input::Input;

    use super::each_once;

    #[test]
    fn each_name_shows_once_while_its_count_is_positive() {
        // (key, diff) per epoch: names read twice, retracted in part, cancelled
        // within an epoch, and gone then back.
        let epochs: Vec<Vec<(u64, isize)>> = vec![
            vec![(1, 1), (1, 1), (2, 1)],
            vec![(1, -1), (2, -1), (3, 1), (3, -1)],
            vec![(2, 1), (1, -1), (4, -1), (4, 1)],
            vec![(4, 2)],
            vec![],
        ];
        timely::execute_directly(move |worker| {
            let seen: Rc<RefCell<BTreeMap<(u64, String), isize>>> = Rc::default();
            let record = Rc::clone(&seen);
            let (mut input, probe) = worker.dataflow::<u64, _, _>(|scope| {
                let (input, names) = scope.new_collection::<(u64, String), isize>();
                let probe = each_once(names)
                    .inspect(move |(name, _time, diff)| *record.borrow_mut().entry(name.clone()).or_default() += diff)
                    .probe()
                    .0;
                (input, probe)
            });
            let mut counts: BTreeMap<u64, isize> = BTreeMap::new();
            for (epoch, updates) in epochs.iter().enumerate() {
                for &(key, diff) in updates {
                    input.update((key, format!("name {key}")), diff);
                    *counts.entry(key).or_default() += diff;
                }
                input.advance_to(epoch as u64 + 1);
                input.flush();
                worker.step_while(|| probe.less_than(input.time()));
                let now: BTreeMap<(u64, String), isize> =
                    seen.borrow().iter().filter(|(_, n)| **n != 0).map(|(name, n)| (name.clone(), *n)).collect();
                let want: BTreeMap<(u64, String), isize> =
                    counts.iter().filter(|(_, n)| **n > 0).map(|(key, _)| ((*key, format!("name {key}")), 1)).collect();
                assert_eq!(now, want, "after epoch {epoch}");
            }
        });
    }
}
