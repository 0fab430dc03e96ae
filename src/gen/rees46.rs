//! Synthetic clickstream shaped like the rees46 "multi-category store" October 2019 export.
//!
//! How the model is built, and why:
//!
//! - **A fixed store.** Categories, products, brands, prices and customers are functions of
//!   their popularity rank and a constant, never of the seed. Runs with other seeds or sizes
//!   (such as the bench's 1% update file) therefore describe the same store and share its
//!   keys, as real new files would. Catalogue and customer counts grow sub-linearly with the
//!   event count and reach the real export's figures near its 42M events; a smaller run sees
//!   a prefix (by popularity) of a larger run's store.
//! - **The seed drives the traffic**: who visits, when, what they look at, cart and buy.
//! - **Time comes from the event's index.** Event `j` of `N` is placed at mass quantile
//!   `(j + u) / N` (`u` uniform in [0, 1)) of an hour-of-day × weekday × trend curve over
//!   October 2019. Every file is then one contiguous slice of the month holding exactly its
//!   share of rows, already in time order: no sorting, and no coordination between files, so
//!   files are generated in parallel, each from its own random stream, and the output does not
//!   depend on the number of threads.
//! - **Sessions interleave.** Each file keeps a pool of open sessions, sized so that one
//!   session's consecutive events land about a minute and a half apart; each row goes to a
//!   random open session, which ends after its drawn number of views. Sessions stay in a focus
//!   category, and carts and purchases follow a view of the same product.
//! - **Rows are copied, not formatted.** Everything from `product_id` to `price` is fixed per
//!   product, so the catalogue keeps that text ready-made and a row is a handful of slice
//!   copies into a reused buffer.

use std::io::Write;

use anyhow::Result;
use rand_core::RngCore;
use rand_pcg::Pcg64Mcg;

use super::{write_files, GenOptions, GenSummary};

const HEADER: &[u8] = b"event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n";

/// The real export this imitates at full size.
const FULL_EVENTS: f64 = 42_448_764.0;
/// Customers who could visit; ~89% of them do in a full-size month, the export's 3.02M.
const FULL_USERS: f64 = 3_400_000.0;
const FULL_PRODUCTS: f64 = 166_794.0;
const FULL_CATEGORIES: f64 = 624.0;
/// Brand names products draw from; about 3.4k of them are in use at full size.
const BRAND_NAMES: usize = 4_500;

/// Fixes the store; changing it changes every generated file.
const WORLD: u64 = 0x5EED_2019_1046_0F0F;

/// Category popularity is Zipf with this exponent (the top category, smartphones, takes ~22%).
const CATEGORY_ZIPF: f64 = 1.15;
/// Product ids are `1_000_000 + category * 100_000 + a per-category permutation of the
/// index`: distinct, numeric, and not in popularity order.
const MAX_PRODUCTS_PER_CATEGORY: usize = 100_000;

/// October 2019 in hours.
const HOURS: usize = 31 * 24;

/// A session's consecutive events are this many seconds apart on average (at average traffic).
const SESSION_GAP_SECONDS: f64 = 90.0;
const MAX_OPEN_SESSIONS: usize = 20_000;

/// Next-event chances. Per view: ~2.08% carts and ~1.77% purchases (directly or via a cart),
/// which with removals after carts gives the export's 96 / 2 / 0.3 / 1.7 % split.
const CART_PER_VIEW: f64 = 0.02 / 0.96;
const PURCHASE_AFTER_CART: f64 = 0.40;
const REMOVE_AFTER_CART: f64 = 0.15;
const PURCHASE_PER_VIEW: f64 = 0.017 / 0.96 - PURCHASE_AFTER_CART * CART_PER_VIEW;
/// Buying concentrates in a minority of sessions: 20% of sessions are 4× as likely to cart
/// or buy, the rest 0.25× (the mean stays 1).
const EAGER_SESSIONS: f64 = 0.20;
const EAGER_FACTOR: f64 = 4.0;
const BROWSING_FACTOR: f64 = 0.25;
/// Within a session: chance a view moves to another category, and that it re-views the
/// product just seen.
const SWITCH_CATEGORY: f64 = 0.08;
const SAME_PRODUCT: f64 = 0.10;
/// Chance a row is written twice, verbatim (the export holds such true repeats).
const DUPLICATE_ROW: f64 = 0.001;

/// Products whose attributes are pinned so that readers meet these cases even in small runs:
/// (category rank, product index, brand). Category 2 has no code, so its product 3 has neither
/// code nor brand.
const PINNED_BRANDS: &[(usize, usize, &str)] =
    &[(1, 2, "o\"neill, inc"), (2, 1, "löwe"), (3, 2, "エレコム"), (5, 1, "müller"), (2, 3, "")];
const PINNED_FREE: &[(usize, usize)] = &[(1, 4)];
const EMPTY_BRAND: f64 = 0.15;
/// Share of branded products of a code with known brands (`CODE_BRANDS`) that carry one.
const CURATED_BRANDS: f64 = 0.85;
const FREE_PRODUCT: f64 = 0.002;

/// Writes `opts.files` time-ordered files `events-00001.csv` … (or `.csv.gz`) into `opts.out`
/// holding exactly `opts.events` rows. Each file is written beside its final name as
/// `.events-NNNNN.csv.part` and renamed when complete, so a watcher never takes half a file.
pub fn generate_rees46(opts: &GenOptions) -> Result<GenSummary> {
    let model = Model::new(opts.events);
    write_files(opts, "events", "csv", |out, k, first, rows| model.write_rows(out, opts.seed, k, first, rows))
}

/// Everything shared read-only by the file writers.
struct Model {
    events: u64,
    catalogue: Catalogue,
    users: u64,
    clock: Clock,
    open_sessions: usize,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    View,
    Cart,
    Remove,
    Purchase,
}

impl Kind {
    fn text(self) -> &'static [u8] {
        match self {
            Kind::View => b"view,",
            Kind::Cart => b"cart,",
            Kind::Remove => b"remove_from_cart,",
            Kind::Purchase => b"purchase,",
        }
    }
}

struct Session {
    /// `user_id,` as written.
    user: [u8; 10],
    /// `user_session` and the line end, as written.
    id: [u8; 37],
    focus: usize,
    /// Global index of the product of the previous event; `usize::MAX` before the first.
    product: usize,
    next: Kind,
    views_left: u32,
    /// Multiplies the chances to cart and buy.
    intent: f64,
}

const CHUNK: usize = 1 << 20;

impl Model {
    fn new(events: u64) -> Model {
        let scale = events as f64 / FULL_EVENTS;
        // Customer ids are distinct only for ranks below USER_SPAN.
        let users = (FULL_USERS * scale.powf(0.85)).round().clamp(1.0, USER_SPAN as f64) as u64;
        let month = (HOURS * 3600) as f64;
        let open_sessions =
            (SESSION_GAP_SECONDS * events as f64 / month).round().clamp(1.0, MAX_OPEN_SESSIONS as f64) as usize;
        Model { events, catalogue: Catalogue::new(scale), users, clock: Clock::new(), open_sessions }
    }

    fn open_session(&self, rng: &mut Pcg64Mcg) -> Session {
        // Activity is a power law: rank ⌊U·x^1.75⌋ gives the busiest customer ~0.02% of
        // sessions at full size, close to the export's busiest. Built from square roots,
        // which IEEE 754 rounds exactly, so every machine draws the same customer.
        let x = unit(rng);
        let root = x.sqrt();
        let rank = ((self.users as f64 * x * root * root.sqrt()) as u64).min(self.users - 1);
        let mut user = [b','; 10];
        write_digits(&mut user[..9], user_id(rank));

        let mut id = [b'\n'; 37];
        let (hi, lo) = (rng.next_u64(), rng.next_u64());
        // UUID version 4, RFC 4122 variant, as real session ids are.
        let bits = (u128::from(hi) << 64 | u128::from(lo)) & !(0xF000u128 << 64) & !(0xC000u128 << 48)
            | (0x4000u128 << 64)
            | (0x8000u128 << 48);
        let mut nibble = 32;
        for (i, byte) in id[..36].iter_mut().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                *byte = b'-';
            } else {
                nibble -= 1;
                *byte = b"0123456789abcdef"[((bits >> (nibble * 4)) & 0xF) as usize];
            }
        }

        // Session lengths (in views) are a mixture of short visits and long browsing, each
        // 1 + geometric: means 3.0 and 9.5, ~5 views overall. Drawn by coin flips rather than
        // a logarithm so no platform maths library can change the result.
        let more = if unit(rng) < 0.7 { 0.6703 } else { 0.8948 };
        let mut views_left = 1;
        while unit(rng) < more {
            views_left += 1;
        }
        let intent = if unit(rng) < EAGER_SESSIONS { EAGER_FACTOR } else { BROWSING_FACTOR };
        let focus = self.catalogue.draw_category(unit(rng));
        Session { user, id, focus, product: usize::MAX, next: Kind::View, views_left, intent }
    }

    /// Writes the header and the rows with global indexes `first .. first + rows`.
    fn write_rows<W: Write + ?Sized>(&self, out: &mut W, seed: u64, k: usize, first: u64, rows: u64) -> Result<()> {
        let mut rng = file_rng(seed, k);
        let mut buf = Vec::with_capacity(CHUNK + 4096);
        buf.extend_from_slice(HEADER);
        let mut sessions: Vec<Session> = (0..self.open_sessions).map(|_| self.open_session(&mut rng)).collect();
        let catalogue = &self.catalogue;

        let total = self.events as f64;
        let mut hour = 0;
        let mut second = u32::MAX;
        let mut time = [0u8; 24];
        let (mut j, end) = (first, first + rows);
        while j < end {
            if buf.len() >= CHUNK {
                out.write_all(&buf)?;
                buf.clear();
            }
            let at = self.clock.second(&mut hour, (j as f64 + unit(&mut rng)) / total);
            if at != second {
                second = at;
                format_time(at, &mut time);
            }

            let pick = below(&mut rng, sessions.len());
            let session = &mut sessions[pick];
            let kind = session.next;
            if kind == Kind::View {
                if session.product == usize::MAX || unit(&mut rng) >= SAME_PRODUCT {
                    if unit(&mut rng) < SWITCH_CATEGORY {
                        session.focus = catalogue.draw_category(unit(&mut rng));
                    }
                    session.product = catalogue.draw_product(session.focus, unit(&mut rng));
                }
                session.views_left -= 1;
            }

            let row = buf.len();
            buf.extend_from_slice(&time);
            buf.extend_from_slice(kind.text());
            buf.extend_from_slice(catalogue.product_text(session.product));
            buf.extend_from_slice(&session.user);
            buf.extend_from_slice(&session.id);
            j += 1;
            if j < end && unit(&mut rng) < DUPLICATE_ROW {
                buf.extend_from_within(row..);
                j += 1;
            }

            let r = unit(&mut rng);
            session.next = match kind {
                Kind::View if r < CART_PER_VIEW * session.intent => Kind::Cart,
                Kind::View if r < (CART_PER_VIEW + PURCHASE_PER_VIEW) * session.intent => Kind::Purchase,
                Kind::Cart if r < PURCHASE_AFTER_CART => Kind::Purchase,
                Kind::Cart if r < PURCHASE_AFTER_CART + REMOVE_AFTER_CART => Kind::Remove,
                _ => Kind::View,
            };
            if session.next == Kind::View && session.views_left == 0 {
                *session = self.open_session(&mut rng);
            }
        }
        out.write_all(&buf)?;
        out.flush()?;
        Ok(())
    }
}

/// Customer ids are 9-digit, distinct, and scattered like the export's (5xxxxxxxx):
/// an affine permutation of [0, USER_SPAN).
const USER_SPAN: u64 = 66_000_000;
const USER_STEP: u64 = 7_368_787; // coprime to USER_SPAN = 2^7·3·5^6·11

fn user_id(rank: u64) -> u64 {
    500_000_000 + (rank * USER_STEP + 12_345_679) % USER_SPAN
}

/// Each file's own stream, from (seed, file index) only.
fn file_rng(seed: u64, k: usize) -> Pcg64Mcg {
    let a = mix(seed ^ 0xC0FF_EE00_D15E_A5E5);
    let b = mix(a ^ (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    Pcg64Mcg::new(u128::from(a) << 64 | u128::from(b))
}

/// Uniform in [0, 1) from 53 random bits (portable, unlike float sampling that might change
/// between library versions).
fn unit(rng: &mut Pcg64Mcg) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Uniform in [0, n).
fn below(rng: &mut Pcg64Mcg, n: usize) -> usize {
    ((u128::from(rng.next_u64()) * n as u128) >> 64) as usize
}

/// SplitMix64's finaliser: the store's attributes are hashes of their ranks.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn hash(parts: &[u64]) -> u64 {
    parts.iter().fold(WORLD, |h, &p| mix(h ^ p))
}

fn hash_unit(parts: &[u64]) -> f64 {
    (hash(parts) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Salts that keep the store's independent attributes independent.
mod salt {
    pub const CATEGORY_ID: u64 = 1;
    pub const CATEGORY_PRICE: u64 = 2;
    pub const POOL: u64 = 3;
    pub const PRODUCT_ID: u64 = 4;
    pub const BRAND_EMPTY: u64 = 5;
    pub const BRAND_PICK: u64 = 6;
    pub const PRICE_A: u64 = 7;
    pub const PRICE_B: u64 = 8;
    pub const FREE: u64 = 9;
    pub const BRAND_NAME: u64 = 10;
    pub const BRAND_TAIL: u64 = 11;
}

fn write_digits(out: &mut [u8], mut value: u64) {
    for byte in out.iter_mut().rev() {
        *byte = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// `2019-10-DD HH:MM:SS UTC,` for a second of October 2019.
fn format_time(second: u32, out: &mut [u8; 24]) {
    out.copy_from_slice(b"2019-10-01 00:00:00 UTC,");
    let (day, rest) = (second / 86_400 + 1, second % 86_400);
    write_digits(&mut out[8..10], u64::from(day));
    write_digits(&mut out[11..13], u64::from(rest / 3600));
    write_digits(&mut out[14..16], u64::from(rest / 60 % 60));
    write_digits(&mut out[17..19], u64::from(rest % 60));
}

/// Traffic over the month: cumulative share of events before each hour.
struct Clock {
    cumulative: Vec<f64>,
}

/// Relative traffic per UTC hour; the audience lives around UTC+3, quiet at night there.
const HOURLY: [f64; 24] = [
    0.35, 0.55, 0.85, 1.10, 1.25, 1.35, 1.40, 1.40, 1.40, 1.40, 1.40, 1.40, 1.42, 1.48, 1.55, 1.62, 1.65, 1.55, 1.30,
    0.95, 0.60, 0.35, 0.22, 0.22,
];

impl Clock {
    fn new() -> Clock {
        let mut cumulative = Vec::with_capacity(HOURS + 1);
        let mut sum = 0.0;
        cumulative.push(0.0);
        for h in 0..HOURS {
            let day = h / 24;
            // 2019-10-01 was a Tuesday: weekends are a little quieter, and traffic grows
            // through the month.
            let weekday = (day + 1) % 7;
            let week = if weekday >= 5 { 0.92 } else { 1.0 };
            let trend = 1.0 + 0.25 * day as f64 / 30.0;
            sum += HOURLY[h % 24] * week * trend;
            cumulative.push(sum);
        }
        for c in &mut cumulative {
            *c /= sum;
        }
        Clock { cumulative }
    }

    /// The second of the month at traffic quantile `q` in [0, 1). `hour` is a cursor that only
    /// moves forward, since callers ask for nondecreasing `q`.
    fn second(&self, hour: &mut usize, q: f64) -> u32 {
        let c = &self.cumulative;
        while *hour + 1 < HOURS && c[*hour + 1] <= q {
            *hour += 1;
        }
        let within = ((q - c[*hour]) / (c[*hour + 1] - c[*hour]) * 3600.0).clamp(0.0, 3599.0) as u32;
        *hour as u32 * 3600 + within
    }
}

/// The store's categories and products, most popular first.
struct Catalogue {
    /// Cumulative popularity of categories; a session's focus is drawn from it.
    category_cdf: Vec<f64>,
    /// Category `c`'s products are the global indexes `first[c] .. first[c + 1]`.
    first: Vec<usize>,
    /// Per product, `product_id,category_id,category_code,brand,price,` as written.
    text: Vec<u8>,
    /// Product `g`'s text is `text[text_at[g] .. text_at[g + 1]]`.
    text_at: Vec<usize>,
}

/// Category codes in popularity order, with a typical price. Coded categories take them in
/// turn, so past the end of the list some codes cover several category ids, as in the export.
const CODES: &[(&str, f64)] = &[
    ("electronics.smartphone", 280.0),
    ("electronics.audio.headphone", 55.0),
    ("electronics.video.tv", 380.0),
    ("electronics.clocks", 190.0),
    ("appliances.kitchen.washer", 280.0),
    ("computers.notebook", 620.0),
    ("appliances.environment.vacuum", 140.0),
    ("appliances.kitchen.refrigerators", 480.0),
    ("apparel.shoes", 75.0),
    ("computers.desktop", 520.0),
    ("auto.accessories.player", 55.0),
    ("electronics.tablet", 240.0),
    ("appliances.kitchen.microwave", 95.0),
    ("furniture.living_room.sofa", 420.0),
    ("kids.toys", 25.0),
    ("appliances.kitchen.kettle", 30.0),
    ("electronics.audio.acoustic", 110.0),
    ("construction.tools.drill", 85.0),
    ("appliances.iron", 45.0),
    ("computers.peripherals.printer", 170.0),
    ("appliances.environment.water_heater", 150.0),
    ("appliances.kitchen.blender", 50.0),
    ("electronics.camera.photo", 450.0),
    ("computers.components.videocards", 380.0),
    ("appliances.kitchen.hood", 140.0),
    ("appliances.environment.air_heater", 60.0),
    ("apparel.shoes.keds", 65.0),
    ("computers.peripherals.monitor", 210.0),
    ("appliances.kitchen.coffee_machine", 260.0),
    ("furniture.bedroom.bed", 330.0),
    ("appliances.personal.hair_cutter", 35.0),
    ("sport.bicycle", 310.0),
    ("auto.accessories.videoregister", 70.0),
    ("appliances.kitchen.oven", 360.0),
    ("kids.carriage", 260.0),
    ("appliances.kitchen.mixer", 45.0),
    ("computers.peripherals.mouse", 20.0),
    ("computers.network.router", 45.0),
    ("electronics.telephone", 40.0),
    ("appliances.environment.air_conditioner", 420.0),
    ("furniture.kitchen.table", 150.0),
    ("construction.tools.saw", 110.0),
    ("appliances.kitchen.dishwasher", 390.0),
    ("computers.peripherals.keyboard", 30.0),
    ("appliances.kitchen.meat_grinder", 90.0),
    ("accessories.bag", 40.0),
    ("apparel.trousers", 35.0),
    ("appliances.sewing_machine", 170.0),
    ("electronics.audio.subwoofer", 120.0),
    ("computers.components.cpu", 230.0),
    ("construction.tools.welding", 130.0),
    ("apparel.tshirt", 15.0),
    ("furniture.living_room.cabinet", 200.0),
    ("appliances.kitchen.juicer", 70.0),
    ("electronics.video.projector", 450.0),
    ("appliances.personal.massager", 60.0),
    ("computers.components.memory", 60.0),
    ("computers.components.hdd", 75.0),
    ("construction.components.faucet", 60.0),
    ("appliances.kitchen.toster", 35.0),
    ("appliances.environment.fan", 40.0),
    ("furniture.living_room.chair", 95.0),
    ("apparel.jeans", 45.0),
    ("sport.tennis", 30.0),
    ("country_yard.cultivator", 320.0),
    ("construction.tools.generator", 350.0),
    ("appliances.kitchen.grill", 60.0),
    ("kids.skates", 50.0),
    ("computers.components.motherboard", 140.0),
    ("auto.accessories.compressor", 45.0),
    ("appliances.personal.scales", 25.0),
    ("medicine.tools.tonometer", 40.0),
    ("stationery.cartrige", 30.0),
    ("apparel.costume", 60.0),
    ("furniture.bathroom.bath", 240.0),
    ("appliances.kitchen.steam_cooker", 55.0),
    ("construction.tools.pump", 120.0),
    ("auto.accessories.alarm", 110.0),
    ("appliances.environment.climate", 150.0),
    ("computers.ebooks", 120.0),
    ("furniture.bedroom.pillow", 20.0),
    ("kids.fmcg.diapers", 25.0),
    ("apparel.dress", 50.0),
    ("construction.tools.light", 30.0),
    ("computers.components.power_supply", 65.0),
    ("apparel.jacket", 90.0),
    ("appliances.kitchen.fryer", 60.0),
    ("accessories.wallet", 30.0),
    ("sport.snowboard", 220.0),
    ("electronics.audio.microphone", 70.0),
    ("furniture.universal.mattress", 260.0),
    ("construction.tools.heater", 90.0),
    ("apparel.scarf", 20.0),
    ("computers.components.cooler", 25.0),
    ("auto.accessories.radar", 120.0),
    ("appliances.kitchen.hob", 290.0),
    ("jewelry.earring", 150.0),
    ("electronics.camera.video", 330.0),
    ("furniture.bathroom.toilet", 170.0),
    ("country_yard.lawn_mower", 240.0),
    ("apparel.shoes.sandals", 45.0),
    ("sport.ski", 260.0),
    ("furniture.kitchen.chair", 55.0),
    ("kids.dolls", 30.0),
    ("computers.peripherals.camera", 45.0),
    ("electronics.audio.amplifier", 260.0),
    ("apparel.belt", 25.0),
    ("construction.tools.screw", 70.0),
    ("accessories.umbrella", 20.0),
    ("appliances.ironing_board", 40.0),
    ("jewelry.ring", 190.0),
    ("apparel.glove", 15.0),
    ("auto.accessories.parktronic", 60.0),
    ("computers.components.sound_card", 50.0),
    ("sport.trainer", 380.0),
    ("furniture.bedroom.blanket", 35.0),
    ("construction.tools.painting", 70.0),
    ("apparel.shoes.slipons", 40.0),
    ("electronics.audio.dictaphone", 80.0),
    ("country_yard.watering", 30.0),
    ("apparel.underwear", 15.0),
    ("jewelry.pendant", 120.0),
    ("computers.peripherals.scanner", 160.0),
    ("kids.swing", 110.0),
    ("apparel.shirt", 30.0),
    ("auto.accessories.winch", 160.0),
    ("furniture.universal.light", 45.0),
    ("sport.diving", 90.0),
    ("apparel.skirt", 30.0),
    ("country_yard.furniture.hammok", 50.0),
    ("electronics.audio.music_tools.piano", 410.0),
    ("apparel.sock", 5.0),
    ("apparel.shoes.step_ins", 35.0),
];

/// Real brands, most popular first; synthetic names fill the rest of the list.
const KNOWN_BRANDS: &[&str] = &[
    "samsung",
    "apple",
    "xiaomi",
    "huawei",
    "lucente",
    "lg",
    "bosch",
    "oppo",
    "sony",
    "respect",
    "acer",
    "artel",
    "lenovo",
    "indesit",
    "cordiant",
    "elenberg",
    "asus",
    "haier",
    "philips",
    "hp",
    "redmond",
    "casio",
    "nike",
    "beko",
    "tefal",
    "pulser",
    "vitek",
    "atlant",
    "polaris",
    "kitfort",
    "canon",
    "nokia",
    "jbl",
    "adidas",
    "honor",
    "meizu",
    "vivo",
    "realme",
    "dell",
    "msi",
    "gorenje",
    "electrolux",
    "whirlpool",
    "sharp",
    "panasonic",
    "braun",
    "delonghi",
    "rowenta",
    "karcher",
    "makita",
    "dewalt",
    "stihl",
    "hyundai",
    "thomson",
    "bbk",
    "supra",
    "scarlett",
    "garmin",
    "fossil",
    "tissot",
    "lego",
    "hasbro",
    "mattel",
    "puma",
    "reebok",
    "ecco",
    "sennheiser",
    "marshall",
    "liebherr",
    "michelin",
    "nokian",
    "continental",
    "pirelli",
    "yokohama",
    "triangle",
    "kumho",
    "dunlop",
    "nikon",
    "gopro",
    "intel",
    "amd",
    "kingston",
    "seagate",
    "gigabyte",
    "tplink",
    "logitech",
    "defender",
    "sven",
    "brother",
    "epson",
    "xerox",
    "janome",
    "singer",
    "moulinex",
    "kenwood",
    "zanussi",
    "candy",
    "hotpoint",
    "smeg",
    "hansa",
    "maunfeld",
    "weissgauff",
    "ballu",
    "timberk",
    "thermex",
    "ariston",
];

/// Brands of the biggest codes' products, in share order (the rest draw from the whole list).
const CODE_BRANDS: &[(&str, &[&str])] = &[
    (
        "electronics.smartphone",
        &["samsung", "apple", "xiaomi", "huawei", "oppo", "meizu", "honor", "vivo", "nokia", "realme"],
    ),
    (
        "electronics.audio.headphone",
        &["apple", "samsung", "xiaomi", "sony", "jbl", "huawei", "sennheiser", "marshall", "philips"],
    ),
    (
        "electronics.video.tv",
        &["samsung", "lg", "sony", "philips", "thomson", "hyundai", "artel", "haier", "bbk", "supra"],
    ),
    ("electronics.clocks", &["apple", "samsung", "casio", "garmin", "xiaomi", "huawei", "fossil", "tissot"]),
    (
        "appliances.kitchen.washer",
        &["samsung", "lg", "bosch", "indesit", "beko", "atlant", "haier", "whirlpool", "electrolux"],
    ),
    ("computers.notebook", &["acer", "lenovo", "asus", "hp", "apple", "dell", "msi", "huawei", "xiaomi"]),
    (
        "appliances.environment.vacuum",
        &["samsung", "philips", "bosch", "xiaomi", "karcher", "vitek", "polaris", "redmond", "lg"],
    ),
    ("appliances.kitchen.refrigerators", &["samsung", "lg", "atlant", "bosch", "indesit", "beko", "haier", "liebherr"]),
    ("apparel.shoes", &["nike", "adidas", "respect", "puma", "reebok", "ecco"]),
];

/// The brand list: known brands, then synthetic lowercase names, `BRAND_NAMES` in all.
fn brand_names() -> Vec<String> {
    const ONSETS: &[&str] = &[
        "b", "br", "c", "d", "dr", "f", "g", "gr", "k", "kr", "l", "m", "n", "p", "pr", "r", "s", "st", "t", "tr", "v",
        "z", "h", "sh",
    ];
    const VOWELS: &[&str] = &["a", "e", "i", "o", "u", "ia", "io", "ea", "ai"];
    const CODAS: &[&str] = &["", "", "", "n", "r", "s", "x", "l", "m", "t", "k", "ks", "nt"];
    let mut names: Vec<String> = KNOWN_BRANDS.iter().map(|s| s.to_string()).collect();
    let mut seen: std::collections::HashSet<String> = names.iter().cloned().collect();
    let mut i = 0u64;
    while names.len() < BRAND_NAMES {
        let h = hash(&[salt::BRAND_NAME, i]);
        i += 1;
        let syllables = 2 + (h % 3 == 0) as usize;
        let mut name = String::new();
        for s in 0..syllables {
            let part = h >> (8 + 12 * s);
            name.push_str(ONSETS[(part % ONSETS.len() as u64) as usize]);
            name.push_str(VOWELS[(part >> 5) as usize % VOWELS.len()]);
        }
        name.push_str(CODAS[(h >> 50) as usize % CODAS.len()]);
        if seen.insert(name.clone()) {
            names.push(name);
        }
    }
    names
}

/// A price near `median`, log-normal with σ = 0.75, capped at the export's maximum.
fn product_price_cents(median: f64, c: u64, i: u64) -> u64 {
    let u1 = hash_unit(&[salt::PRICE_A, c, i]).max(1e-12);
    let u2 = hash_unit(&[salt::PRICE_B, c, i]);
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    let price = (median * (0.75 * z).exp()).clamp(0.88, 2574.07);
    (price * 100.0).round() as u64
}

/// Writes `value` as a CSV field, quoted only when it must be.
fn push_field(out: &mut Vec<u8>, value: &str) {
    if value.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.push(b'"');
        for b in value.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(value.as_bytes());
    }
}

impl Catalogue {
    fn new(scale: f64) -> Catalogue {
        let categories = (FULL_CATEGORIES * scale.powf(0.25)).round().clamp(1.0, 2_000.0) as usize;
        let products = (FULL_PRODUCTS * scale.powf(0.6)).round().clamp(categories as f64, 5e6);

        let weights: Vec<f64> = (0..categories).map(|c| ((c + 1) as f64).powf(-CATEGORY_ZIPF)).collect();
        let total: f64 = weights.iter().sum();
        let mut category_cdf = Vec::with_capacity(categories);
        let mut sum = 0.0;
        for w in &weights {
            sum += w / total;
            category_cdf.push(sum);
        }
        // Popular categories stock more products, less than in proportion to their traffic.
        let stock: Vec<f64> = weights.iter().map(|w| w.powf(0.7)).collect();
        let stock_total: f64 = stock.iter().sum();

        let names = brand_names();
        let brand_index = |name: &str| names.iter().position(|n| n == name).expect("curated brands are known brands");
        let mut first = Vec::with_capacity(categories + 1);
        let mut text = Vec::new();
        let mut text_at = vec![0];
        let mut coded = 0;
        for (c, &stocked) in stock.iter().enumerate() {
            first.push(text_at.len() - 1);
            // Two ranks in five have no code: about 30% of events then lack one, as in the export.
            let code = if c > 0 && matches!(c % 5, 2 | 4) {
                None
            } else {
                coded += 1;
                Some(CODES[(coded - 1) % CODES.len()])
            };
            let (cu, half) = (c as u64, c as u64 / 2);
            // 19-digit ids from two ranges like the export's; increasing within a range, so distinct.
            let base = if c % 2 == 0 { 2_053_013_552_000_000_000u64 } else { 2_232_732_079_000_000_000 };
            let category_id = base + half * 1_000_000_007 + hash(&[salt::CATEGORY_ID, cu]) % 1_000_000_000;
            let median = match code {
                Some((_, price)) => price,
                None => 3.0 * (400.0f64 / 3.0).powf(hash_unit(&[salt::CATEGORY_PRICE, cu])),
            };
            // Each category sells a few brands, the more the busier it is; a product draws
            // from that pool with a skew, and the pool from the whole list, also skewed. The
            // biggest codes sell mostly their known brands (smartphones: samsung, apple, ...).
            let curated: Vec<usize> = code
                .and_then(|(code, _)| CODE_BRANDS.iter().find(|(c, _)| *c == code))
                .map(|(_, brands)| brands.iter().map(|b| brand_index(b)).collect())
                .unwrap_or_default();
            let pool = 3 + (120.0 / ((c + 1) as f64).sqrt()) as usize;
            let pool_brand =
                |j: usize| (BRAND_NAMES as f64 * hash_unit(&[salt::POOL, cu, j as u64]).powf(1.6)) as usize;

            let product_offset = hash(&[salt::PRODUCT_ID, cu]) % 100_000;
            let count = ((products * stocked / stock_total).round() as usize).clamp(1, MAX_PRODUCTS_PER_CATEGORY);
            for i in 0..count {
                let iu = i as u64;
                // 7919 is coprime to 100_000, so this permutes the indexes of one category.
                let product_id = 1_000_000 + cu * 100_000 + (iu * 7_919 + product_offset) % 100_000;
                let brand = match PINNED_BRANDS.iter().find(|(pc, pi, _)| (*pc, *pi) == (c, i)) {
                    Some((_, _, name)) => name,
                    None if hash_unit(&[salt::BRAND_EMPTY, cu, iu]) < EMPTY_BRAND => "",
                    None => {
                        let pick = hash_unit(&[salt::BRAND_PICK, cu, iu]);
                        let brand = if pick < CURATED_BRANDS && !curated.is_empty() {
                            curated[(curated.len() as f64 * (pick / CURATED_BRANDS).powi(2)) as usize]
                        } else {
                            pool_brand((pool as f64 * hash_unit(&[salt::BRAND_TAIL, cu, iu]).powi(2)) as usize)
                        };
                        names[brand].as_str()
                    }
                };
                let free = PINNED_FREE.contains(&(c, i)) || hash_unit(&[salt::FREE, cu, iu]) < FREE_PRODUCT;
                let cents = if free { 0 } else { product_price_cents(median, cu, iu) };

                write!(text, "{product_id},{category_id},{},", code.map_or("", |(code, _)| code)).expect("Vec write");
                push_field(&mut text, brand);
                write!(text, ",{}.{:02},", cents / 100, cents % 100).expect("Vec write");
                text_at.push(text.len());
            }
        }
        first.push(text_at.len() - 1);
        Catalogue { category_cdf, first, text, text_at }
    }

    fn draw_category(&self, u: f64) -> usize {
        self.category_cdf.partition_point(|&c| c <= u).min(self.category_cdf.len() - 1)
    }

    /// A product of category `c`: index ⌊n·u³⌋ puts ~20% of a category's views on its top 1%.
    fn draw_product(&self, c: usize, u: f64) -> usize {
        let (start, end) = (self.first[c], self.first[c + 1]);
        start + (((end - start) as f64 * u * u * u) as usize).min(end - start - 1)
    }

    fn product_text(&self, g: usize) -> &[u8] {
        &self.text[self.text_at[g]..self.text_at[g + 1]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gen::file_rows;
    use std::collections::{HashMap, HashSet};
    use std::fs::{self, File};
    use std::io::Read;
    use std::path::Path;
    use std::path::PathBuf;

    /// A fresh scratch directory, removed on drop.
    struct Scratch(PathBuf);
    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!("cartflow-gen-{}-{name}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            Scratch(dir)
        }
    }
    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn options(dir: &Path, events: u64, seed: u64, files: usize) -> GenOptions {
        GenOptions { events, seed, files, out: dir.to_path_buf(), gzip: false }
    }

    /// Splits one CSV line into fields (RFC 4180; the generator never writes line breaks in
    /// fields).
    fn fields(line: &str) -> Vec<String> {
        let mut out = vec![String::new()];
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(ch) = chars.next() {
            match ch {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    chars.next();
                    out.last_mut().unwrap().push('"');
                }
                '"' => quoted = !quoted,
                ',' if !quoted => out.push(String::new()),
                _ => out.last_mut().unwrap().push(ch),
            }
        }
        out
    }

    fn rows_of(summary: &GenSummary) -> Vec<Vec<Vec<String>>> {
        summary
            .files
            .iter()
            .map(|path| {
                let text = fs::read_to_string(path).unwrap();
                let mut lines = text.split_terminator('\n');
                assert_eq!(lines.next().unwrap().as_bytes(), &HEADER[..HEADER.len() - 1]);
                lines.map(fields).collect()
            })
            .collect()
    }

    #[test]
    fn same_options_give_identical_files_and_seeds_differ() {
        let (a, b, c) = (Scratch::new("det-a"), Scratch::new("det-b"), Scratch::new("det-c"));
        let sa = generate_rees46(&options(&a.0, 60_000, 7, 3)).unwrap();
        let sb = generate_rees46(&options(&b.0, 60_000, 7, 3)).unwrap();
        let sc = generate_rees46(&options(&c.0, 60_000, 8, 3)).unwrap();
        assert_eq!(sa.bytes, sb.bytes);
        for (x, y) in sa.files.iter().zip(&sb.files) {
            assert_eq!(x.file_name(), y.file_name());
            assert!(fs::read(x).unwrap() == fs::read(y).unwrap(), "{} differs between runs", x.display());
        }
        for (x, y) in sa.files.iter().zip(&sc.files) {
            assert!(fs::read(x).unwrap() != fs::read(y).unwrap(), "seed does not change {}", x.display());
        }
    }

    #[test]
    fn a_file_depends_only_on_seed_and_its_index() {
        // Written one by one on this thread, the files match the parallel run byte for byte,
        // so the output cannot depend on the number of threads or their timing.
        let dir = Scratch::new("threads");
        let summary = generate_rees46(&options(&dir.0, 30_001, 21, 3)).unwrap();
        let model = Model::new(30_001);
        for (k, path) in summary.files.iter().enumerate() {
            let (first, rows) = file_rows(30_001, 3, k);
            let mut alone = Vec::new();
            model.write_rows(&mut alone, 21, k, first, rows).unwrap();
            assert!(alone == fs::read(path).unwrap(), "{}", path.display());
        }
    }

    #[test]
    fn exact_rows_even_split_names_and_no_leftovers() {
        let dir = Scratch::new("count");
        let summary = generate_rees46(&options(&dir.0, 10_003, 1, 4)).unwrap();
        assert_eq!(summary.events, 10_003);
        let names: Vec<_> =
            summary.files.iter().map(|p| p.file_name().unwrap().to_str().unwrap().to_string()).collect();
        assert_eq!(names, ["events-00001.csv", "events-00002.csv", "events-00003.csv", "events-00004.csv"]);
        let counts: Vec<usize> = rows_of(&summary).iter().map(Vec::len).collect();
        assert_eq!(counts, [2501, 2501, 2501, 2500]);
        let on_disk: u64 = summary.files.iter().map(|p| fs::metadata(p).unwrap().len()).sum();
        assert_eq!(summary.bytes, on_disk);
        // Only the final files remain: no `.part` leftovers.
        assert_eq!(fs::read_dir(&dir.0).unwrap().count(), 4);
    }

    #[test]
    fn tiny_and_empty_runs() {
        let dir = Scratch::new("tiny");
        let summary = generate_rees46(&options(&dir.0, 0, 1, 2)).unwrap();
        for path in &summary.files {
            assert_eq!(fs::read(path).unwrap(), HEADER);
        }
        let dir = Scratch::new("tiny2");
        let summary = generate_rees46(&options(&dir.0, 3, 1, 5)).unwrap();
        let counts: Vec<usize> = rows_of(&summary).iter().map(Vec::len).collect();
        assert_eq!(counts, [1, 1, 1, 0, 0]);
        let dir = Scratch::new("tiny3");
        let summary = generate_rees46(&options(&dir.0, 1, 1, 0)).unwrap();
        assert_eq!(summary.files.len(), 1);
    }

    #[test]
    fn times_are_ordered_within_and_across_files_and_cover_october() {
        let dir = Scratch::new("time");
        let summary = generate_rees46(&options(&dir.0, 80_000, 3, 5)).unwrap();
        let mut last = String::new();
        let mut days = HashSet::new();
        for rows in rows_of(&summary) {
            for row in rows {
                let t = &row[0];
                assert_eq!(t.len(), 23, "{t}");
                assert!(t.starts_with("2019-10-") && t.ends_with(" UTC"), "{t}");
                assert!(*t >= last, "{t} after {last}");
                days.insert(t[8..10].to_string());
                last.clone_from(t);
            }
        }
        assert_eq!(days.len(), 31);
    }

    #[test]
    fn fields_are_well_formed_and_edge_cases_present() {
        let dir = Scratch::new("fields");
        let summary = generate_rees46(&options(&dir.0, 100_000, 11, 2)).unwrap();
        let raw: String = summary.files.iter().map(|p| fs::read_to_string(p).unwrap()).collect();
        assert!(raw.contains(",\"o\"\"neill, inc\","), "quoted brand missing");
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let (mut non_ascii, mut zero, mut bare, mut duplicates) = (0, 0, 0, 0);
        let mut previous = Vec::new();
        for row in rows_of(&summary).into_iter().flatten() {
            assert_eq!(row.len(), 9, "{row:?}");
            assert!(matches!(row[1].as_str(), "view" | "cart" | "remove_from_cart" | "purchase"));
            assert!(digits(&row[2]) && row[2].len() >= 7, "{row:?}");
            assert!(digits(&row[3]) && row[3].len() == 19, "{row:?}");
            assert!(row[4].is_empty() || row[4].split('.').all(|p| !p.is_empty()), "{row:?}");
            let (units, cents) = row[6].split_once('.').unwrap();
            assert!(digits(units) && digits(cents) && cents.len() == 2, "{row:?}");
            assert!(row[6].parse::<f64>().unwrap() <= 2574.07);
            assert!(digits(&row[7]) && row[7].len() == 9, "{row:?}");
            assert_eq!(row[8].len(), 36);
            assert_eq!(row[8].matches('-').count(), 4);
            non_ascii += usize::from(!row[5].is_ascii());
            zero += usize::from(row[6] == "0.00");
            bare += usize::from(row[4].is_empty() && row[5].is_empty());
            duplicates += usize::from(row == previous);
            previous = row;
        }
        assert!(non_ascii > 0 && zero > 0 && bare > 0, "{non_ascii} {zero} {bare}");
        assert!((30..=200).contains(&duplicates), "{duplicates} duplicate rows");
    }

    #[test]
    fn shares_and_sessions_look_like_the_export() {
        let dir = Scratch::new("shares");
        let summary = generate_rees46(&options(&dir.0, 400_000, 5, 4)).unwrap();
        let rows: Vec<Vec<String>> = rows_of(&summary).into_iter().flatten().collect();
        let n = rows.len() as f64;
        let share = |pred: &dyn Fn(&Vec<String>) -> bool| rows.iter().filter(|r| pred(r)).count() as f64 / n;
        let near = |name: &str, got: f64, want: f64, tolerance: f64| {
            assert!((got - want).abs() <= tolerance, "{name}: {got:.4}, want {want} ± {tolerance}")
        };
        near("view", share(&|r| r[1] == "view"), 0.96, 0.006);
        near("cart", share(&|r| r[1] == "cart"), 0.02, 0.004);
        near("remove", share(&|r| r[1] == "remove_from_cart"), 0.003, 0.0015);
        near("purchase", share(&|r| r[1] == "purchase"), 0.017, 0.004);
        near("empty code", share(&|r| r[4].is_empty()), 0.30, 0.06);
        near("empty brand", share(&|r| r[5].is_empty()), 0.15, 0.06);

        // Carts and purchases follow a view of the same product in the same session.
        let mut viewed = HashSet::new();
        let (mut followed, mut actions) = (0, 0);
        let mut sessions: HashMap<&str, usize> = HashMap::new();
        let mut session_user: HashMap<&str, &str> = HashMap::new();
        for r in &rows {
            *sessions.entry(&r[8]).or_default() += 1;
            assert_eq!(*session_user.entry(&r[8]).or_insert(&r[7]), r[7].as_str(), "a session has one user");
            if r[1] == "view" {
                viewed.insert((&r[8], &r[2]));
            } else if r[1] != "remove_from_cart" {
                actions += 1;
                followed += usize::from(viewed.contains(&(&r[8], &r[2])));
            }
        }
        assert!(followed as f64 >= 0.95 * actions as f64, "{followed} of {actions}");
        let mean = n / sessions.len() as f64;
        assert!((3.5..=8.0).contains(&mean), "mean session length {mean}");
        let users: HashSet<&str> = rows.iter().map(|r| r[7].as_str()).collect();
        assert!(users.len() < sessions.len(), "users should have several sessions");
    }

    #[test]
    fn gzip_holds_the_same_rows() {
        let (plain, packed) = (Scratch::new("plain"), Scratch::new("gz"));
        let a = generate_rees46(&options(&plain.0, 20_000, 9, 2)).unwrap();
        let b = generate_rees46(&GenOptions { gzip: true, ..options(&packed.0, 20_000, 9, 2) }).unwrap();
        for (x, y) in a.files.iter().zip(&b.files) {
            assert!(y.to_str().unwrap().ends_with(".csv.gz"));
            let mut text = Vec::new();
            flate2::read::GzDecoder::new(File::open(y).unwrap()).read_to_end(&mut text).unwrap();
            assert!(text == fs::read(x).unwrap());
        }
        assert!(b.bytes < a.bytes / 3);
    }

    #[test]
    fn store_does_not_depend_on_seed_or_size() {
        let small = Catalogue::new(1e4 / FULL_EVENTS);
        let large = Catalogue::new(1e6 / FULL_EVENTS);
        // Each category of the small store sells a prefix of the large store's products.
        for c in 0..small.first.len() - 1 {
            for g in small.first[c]..small.first[c + 1] {
                let i = g - small.first[c];
                assert!(small.first[c + 1] - small.first[c] <= large.first[c + 1] - large.first[c]);
                assert_eq!(small.product_text(g), large.product_text(large.first[c] + i));
            }
        }
        let names = brand_names();
        assert_eq!(names.iter().collect::<HashSet<_>>().len(), names.len());
        let ids: HashSet<u64> = (0..1_000_000).map(user_id).collect();
        assert_eq!(ids.len(), 1_000_000);
    }
}
