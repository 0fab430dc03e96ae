//! `techco`: web logs as JSON lines or one JSON array (SPEC §2).
//!
//! Each log is an object with `log_id, customer_id, product_id, quantity, action,
//! timestamp`; absent values are `null`, ids may be strings or numbers. Every log
//! is an interaction (event type = action); a `purchase` is also an order line
//! (order = log_id). Neither carries a price or category: both come from the
//! product dimension as it is when the log is read, as does the brand.
//!
//! Readings where the SPEC is open: `action`, `timestamp` and `log_id` are
//! required; a null quantity is 1; logs have no session, so every log counts in
//! the one empty session; a line of JSON lines, or an element of an array, that
//! is not an object with these fields is a rejected row, while a file whose JSON
//! cannot be followed to its end is refused whole.

use serde::Deserialize;

use super::fields::{parse_quantity, parse_time};
use super::json::{self, text, Scalar, Scratch};
use super::{RowError, Scan, Unreadable};
use crate::records::{Interaction, OrderId, OrderLine, Record};

#[derive(Deserialize)]
struct Log<'a> {
    #[serde(borrow, default)]
    log_id: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    customer_id: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    product_id: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    quantity: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    action: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    timestamp: Option<Scalar<'a>>,
}

/// Turns one log into its records.
fn parse_log<'r>(log: &'r Log<'_>, scratch: &'r mut Scratch<6>) -> Result<Record<'r>, RowError> {
    let [b0, b1, b2, b3, b4, b5] = &mut scratch.buffers;
    let required = |value: &'r str, name: &'static str| {
        if value.is_empty() {
            Err(RowError::new("missing required field", name))
        } else {
            Ok(value)
        }
    };
    let log_id = required(text(&log.log_id, b0), "log_id")?;
    let action = required(text(&log.action, b1), "action")?;
    let time_text = required(text(&log.timestamp, b2), "timestamp")?;
    let time = parse_time(time_text).map_err(|why| RowError::field("timestamp", why, time_text))?;
    let customer = text(&log.customer_id, b3);
    let product = text(&log.product_id, b4);
    let quantity_text = text(&log.quantity, b5);
    let quantity = if quantity_text.is_empty() {
        1
    } else {
        parse_quantity(quantity_text).map_err(|why| RowError::field("quantity", why, quantity_text))?
    };
    let event = Interaction {
        time,
        event_type: action,
        user: customer,
        session: "",
        product,
        category_id: "",
        category_code: "",
        brand: "",
        price_cents: 0,
    };
    if action != "purchase" {
        return Ok(Record::WebLog { event, priced_by_dimension: true, purchase: None });
    }
    let line = OrderLine {
        time,
        order: OrderId::Id(log_id),
        cancelled: false,
        customer,
        product,
        product_name: "",
        category: "",
        quantity,
        unit_cents: 0,
        discount_pct: 0,
        location: "",
        online: true,
        payment_method: "",
        agent: "",
        branch: "",
        priced_by_dimension: true,
        stated_total_cents: None,
    };
    Ok(Record::WebLog { event, priced_by_dimension: true, purchase: Some(line) })
}

/// Reads a techco log file's bytes (already decompressed): JSON lines, or one array.
pub fn scan_logs(data: &[u8], mut on_record: impl FnMut(Record<'_>)) -> Result<Scan, Unreadable> {
    let mut scratch = Scratch::default();
    json::scan_rows(data, |bytes| match serde_json::from_slice::<Log<'_>>(bytes) {
        Ok(log) => parse_log(&log, &mut scratch).map(&mut on_record),
        Err(e) => Err(RowError::new("not a log object", e.to_string())),
    })
}

#[cfg(test)]
mod tests {
    use super::scan_logs;
    use crate::records::Record;

    /// (action, user, product, purchase (order, quantity)) of every accepted log, and
    /// (line, reason kind) of every rejected one.
    type Logs = Vec<(String, String, String, Option<(String, i64)>)>;

    fn read(text: &str) -> (Logs, Vec<(u64, &'static str, String)>) {
        let mut logs = Vec::new();
        let scan = scan_logs(text.as_bytes(), |record| {
            let Record::WebLog { event, purchase, .. } = record else { panic!("techco yields web logs") };
            let purchase = purchase.map(|line| (line.order.to_string(), line.quantity));
            logs.push((event.event_type.into(), event.user.into(), event.product.into(), purchase));
        })
        .unwrap();
        (logs, scan.rejects.iter().map(|r| (r.line, r.error.kind, r.raw.clone())).collect())
    }

    #[test]
    fn json_lines_and_an_array_read_alike() {
        let lines = "{\"log_id\": 1, \"customer_id\": 7, \"product_id\": \"P1\", \"quantity\": null, \"action\": \"view\", \"timestamp\": \"2024-05-01T10:00:00Z\"}\n\
                     \n\
                     {\"log_id\": \"2\", \"customer_id\": null, \"product_id\": 12, \"quantity\": 3, \"action\": \"purchase\", \"timestamp\": \"2024-05-01 11:00:00\"}\n\
                     {\"log_id\": 3, \"action\": \"purchase\", \"timestamp\": \"2024-05-01 12:00:00\", \"extra\": [1]}\n";
        let array = "[\n  {\"log_id\": 1, \"customer_id\": 7, \"product_id\": \"P1\", \"quantity\": null, \"action\": \"view\",\n   \"timestamp\": \"2024-05-01T10:00:00Z\"},\n\
                     {\"log_id\": \"2\", \"customer_id\": null, \"product_id\": 12, \"quantity\": 3, \"action\": \"purchase\", \"timestamp\": \"2024-05-01 11:00:00\"} ,\
                     {\"log_id\": 3, \"action\": \"purchase\", \"timestamp\": \"2024-05-01 12:00:00\", \"extra\": [1]}\n]\n";
        let expected: Logs = vec![
            ("view".into(), "7".into(), "P1".into(), None),
            ("purchase".into(), "".into(), "12".into(), Some(("2".into(), 3))),
            ("purchase".into(), "".into(), "".into(), Some(("3".into(), 1))),
        ];
        for text in [lines, array] {
            let (logs, rejects) = read(text);
            assert_eq!(logs, expected);
            assert!(rejects.is_empty(), "{rejects:?}");
        }
    }

    #[test]
    fn bad_logs_are_rejected_with_their_physical_line() {
        let text = "[{\"log_id\": 1, \"action\": \"view\", \"timestamp\": \"2024-05-01\"},\n\
                    {\"log_id\": 2, \"action\": \"view\",\n \"timestamp\": \"yesterday\"},\n\
                    {\"log_id\": 3, \"timestamp\": \"2024-05-01\"},\n\
                    \"just text\",\n\
                    {\"log_id\": 4, \"action\": \"purchase\", \"quantity\": 1.5, \"timestamp\": \"2024-05-01\"}]";
        let (logs, rejects) = read(text);
        assert_eq!(logs.len(), 1);
        let kinds: Vec<(u64, &str)> = rejects.iter().map(|(line, kind, _)| (*line, *kind)).collect();
        assert_eq!(
            kinds,
            vec![
                (2, "unparsable time"),
                (4, "missing required field"),
                (5, "not a log object"),
                (6, "unparsable quantity")
            ]
        );
        assert_eq!(rejects[2].2, "\"just text\"");
        let (_, rejects) = read("{\"log_id\": 1, \"action\": \"view\", \"timestamp\": \"2024-05-01\"}\nnot json\n");
        assert_eq!(rejects.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(), vec![(2, "not a log object")]);
    }

    #[test]
    fn an_array_that_cannot_be_followed_refuses_the_file() {
        assert!(scan_logs(b"[{\"log_id\": 1}, {\"log_id\": ", |_| {}).is_err());
        let log = "{\"log_id\": 1, \"action\": \"view\", \"timestamp\": \"2024-05-01\"}";
        for bad in [format!("[{log}"), format!("[{log} {log}]"), format!("[{log},]"), format!("[{log}] x")] {
            assert!(scan_logs(bad.as_bytes(), |_| {}).is_err(), "{bad}");
        }
        for good in [format!("[{log},\n {log}]\n"), "[ ]".to_string(), format!("\u{feff}{log}\n")] {
            assert!(scan_logs(good.as_bytes(), |_| {}).is_ok_and(|scan| scan.rejects.is_empty()), "{good}");
        }
    }
}
