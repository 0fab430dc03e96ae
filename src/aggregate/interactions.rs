//! The interaction facts of a file: what the clickstream reports read.

use serde::{Deserialize, Serialize};

use super::{fold_into, Map, Names, Ticker};
use crate::dataflow::diff::{Funnel, Visits};
use crate::dataflow::{text_key, InteractionInputs, TextKey, EMPTY};
use crate::formats::fields::hour_of_day;
use crate::records::{price_band, EventKind, Interaction};

/// The interaction facts of one file (see [`InteractionInputs`] for their meaning).
///
/// They are also what the state directory keeps of each applied file, so that
/// its contribution can be retracted after the file changes or is deleted.
#[derive(Default, Serialize, Deserialize)]
pub struct InteractionFacts {
    names: Names,
    user_names: Names,
    user: Map<TextKey, Visits>,
    session: Map<TextKey, Visits>,
    other_type_user: Map<(TextKey, TextKey), i64>,
    other_type_session: Map<(TextKey, TextKey), i64>,
    category: Map<(TextKey, TextKey), i64>,
    code_price: Map<(TextKey, i64), i64>,
    code_band: Map<(TextKey, u8), Funnel>,
    user_code_brand: Map<(TextKey, TextKey, TextKey), i64>,
    brand: Map<TextKey, Funnel>,
    brand_buyer: Map<(TextKey, TextKey), i64>,
    hour: [Funnel; 24],
    /// The keys of the event types [`EventKind`] names, once remembered (0 until
    /// then): nearly every event has one of them, and this spares hashing its text.
    #[serde(skip)]
    known_types: [TextKey; 4],
}

/// Calls `$apply!` with the given fields, then every hash map of the facts, in
/// one fixed order: the order of [`InteractionFacts::sizes`] and `reserve`, and of `absorb`.
macro_rules! with_maps {
    ($apply:ident $(, $first:ident)*) => {
        $apply! {
            $($first,)*
            user,
            session,
            other_type_user,
            other_type_session,
            category,
            code_price,
            code_band,
            user_code_brand,
            brand,
            brand_buyer
        }
    };
}

impl InteractionFacts {
    pub fn add(&mut self, event: &Interaction<'_>) {
        let kind = EventKind::of(event.event_type);
        let visit = Visits::of(kind);
        let funnel = Funnel::of(visit, event.price_cents);
        let event_type = match kind {
            EventKind::Other => self.name(event.event_type),
            known => {
                let slot = known as usize;
                if self.known_types[slot] == EMPTY {
                    self.known_types[slot] = self.names.remember(event.event_type);
                }
                self.known_types[slot]
            }
        };
        let category_id = self.name(event.category_id);
        let code = self.name(event.category_code);
        let brand = self.name(event.brand);
        // Sessions are only ever counted, never shown: they need no dictionary entry.
        let session = text_key(event.session);

        // Every event has a user, so the user map meets each user first exactly when
        // the user dictionary would: it files the text then, sparing a second search
        // of the file's largest key set per event.
        let user = text_key(event.user);
        let user_names = &mut self.user_names;
        let user_visits = self.user.entry(user).or_insert_with(|| {
            user_names.insert_new(user, event.user);
            Visits::default()
        });
        user_visits.add(&visit);
        self.session.entry(session).or_default().add(&visit);
        if kind == EventKind::Other {
            *self.other_type_user.entry((event_type, user)).or_default() += 1;
            *self.other_type_session.entry((event_type, session)).or_default() += 1;
        }
        *self.category.entry((category_id, code)).or_default() += 1;
        *self.code_price.entry((code, event.price_cents)).or_default() += 1;
        self.code_band.entry((code, price_band(event.price_cents))).or_default().add(&funnel);
        *self.user_code_brand.entry((user, code, brand)).or_default() += 1;
        if !event.brand.is_empty() {
            self.brand.entry(brand).or_default().add(&funnel);
            if kind == EventKind::Purchase {
                *self.brand_buyer.entry((brand, user)).or_default() += 1;
            }
        }
        self.hour[hour_of_day(event.time) as usize].add(&funnel);
    }

    /// The key of a text a report may show, remembering the text.
    fn name(&mut self, text: &str) -> TextKey {
        self.names.remember(text)
    }

    with_maps!(map_sizes, names, user_names);

    /// Adds another file's facts into these: a worker merges the accepted files of
    /// an epoch, so a key shared by several files enters the dataflow once.
    pub fn absorb(&mut self, other: InteractionFacts) {
        macro_rules! absorb {
            ($($name:ident),+) => {
                $(fold_into(&mut self.$name, other.$name);)+
            };
        }
        with_maps!(absorb);
        self.names.absorb(other.names);
        self.user_names.absorb(other.user_names);
        for (hour, funnel) in self.hour.iter_mut().zip(other.hour) {
            *hour += funnel;
        }
    }

    /// Whether no event was added: every event has a user. (Not whether any name
    /// was kept: a file whose every text is a number keeps none.)
    pub fn is_empty(&self) -> bool {
        self.user.is_empty()
    }

    /// Feeds the facts keyed by session and by (user, code, brand) now, with
    /// `sign`, and leaves them empty.
    ///
    /// A session, and most (user, code, brand) triples, occur in one file only,
    /// and their operators downstream total them by key anyway: folding them into
    /// an epoch's facts first would only put every key through one more hash
    /// map, the largest of a worker's.
    pub fn feed_per_file(&mut self, inputs: &mut InteractionInputs, sign: isize, pause: impl FnMut()) {
        let mut ticker = Ticker::new(pause);
        for (session, visits) in std::mem::take(&mut self.session) {
            inputs.session.update(session, visits * sign);
            ticker.tick();
        }
        for (triple, events) in std::mem::take(&mut self.user_code_brand) {
            inputs.user_code_brand.update(triple, events as isize * sign);
            ticker.tick();
        }
    }

    /// See [`super::FileFacts::feed`].
    pub fn feed(self, inputs: &mut InteractionInputs, sign: isize, pause: impl FnMut()) {
        tracing::debug!(
            names = self.names.len(),
            users = self.user.len(),
            sessions = self.session.len(),
            user_code_brand = self.user_code_brand.len(),
            "feeding facts"
        );
        let mut ticker = Ticker::new(pause);
        macro_rules! feed {
            ($name:ident, $convert:expr) => {
                for (data, diff) in self.$name {
                    inputs.$name.update(data, $convert(diff));
                    ticker.tick();
                }
            };
        }
        let count = |n: i64| n as isize * sign;
        let sums = |f: Funnel| f * sign;
        let visits = |v: Visits| v * sign;
        feed!(user, visits);
        feed!(session, visits);
        feed!(other_type_user, count);
        feed!(other_type_session, count);
        feed!(category, count);
        feed!(code_price, count);
        feed!(code_band, sums);
        feed!(user_code_brand, count);
        feed!(brand, sums);
        feed!(brand_buyer, count);
        self.names.feed(&mut inputs.names, sign, &mut ticker);
        self.user_names.feed(&mut inputs.user_names, sign, &mut ticker);
        for (hour, funnel) in self.hour.into_iter().enumerate() {
            if funnel.events != 0 {
                inputs.hour.update(hour as u8, funnel * sign);
            }
        }
    }
}
