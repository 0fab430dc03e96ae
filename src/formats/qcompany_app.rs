//! `qcompany` app logs: JSON lines (or one JSON array) of `eventType, customerId,
//! productId, timestamp, category, source, quantity, totalAmount, paymentMethod,
//! recommendedProductId, algorithm` (SPEC §2). Every log is an interaction (event
//! type = eventType); a `purchase` is also an order line.
//!
//! Readings where the SPEC is open:
//! - `eventType` and `timestamp` are required; a null customer is a guest; a null
//!   quantity is 1; `source`, `recommendedProductId` and `algorithm` say how the
//!   shopper got there, which no report shows, so they are not read.
//! - `totalAmount` is the price of the whole line, a plain decimal like any price
//!   (negative rejects the log). The line's revenue is that total exactly; the event's
//!   price (for `category_prices`, `price_bands`) is the total per unit, rounded half
//!   away from zero. A log without a total is priced by the product dimension, else 0.
//! - A log's own category is kept; one without takes the product dimension's.
//! - Logs carry no order id: the purchases of one customer at one written timestamp
//!   are one order, as a checkout that logs a purchase per product would write them.
//!   App purchases are `online`, with the log's payment method and no location.

use serde::Deserialize;

use super::fields::{parse_quantity, parse_time};
use super::json::{self, text, Scalar, Scratch};
use super::{RowError, Scan, Unreadable};
use crate::records::{Interaction, OrderId, OrderLine, Record};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AppLog<'a> {
    #[serde(borrow, default)]
    event_type: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    customer_id: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    product_id: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    timestamp: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    category: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    quantity: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    total_amount: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    payment_method: Option<Scalar<'a>>,
}

/// The place in an app order's key, beside the customer and the written time.
const APP: &str = "app";

fn parse_log<'r>(log: &'r AppLog<'_>, scratch: &'r mut Scratch<8>) -> Result<Record<'r>, RowError> {
    let [b0, b1, b2, b3, b4, b5, b6, b7] = &mut scratch.buffers;
    let event_type = text(&log.event_type, b0);
    if event_type.is_empty() {
        return Err(RowError::new("missing required field", "eventType"));
    }
    let time_text = text(&log.timestamp, b1);
    if time_text.is_empty() {
        return Err(RowError::new("missing required field", "timestamp"));
    }
    let time = parse_time(time_text).map_err(|why| RowError::field("timestamp", why, time_text))?;
    let quantity_text = text(&log.quantity, b2);
    let quantity = if quantity_text.is_empty() {
        1
    } else {
        parse_quantity(quantity_text).map_err(|why| RowError::field("quantity", why, quantity_text))?
    };
    let total_text = text(&log.total_amount, b3);
    let total_cents = if total_text.is_empty() { None } else { Some(RowError::price(total_text)?) };
    let customer = text(&log.customer_id, b4);
    let product = text(&log.product_id, b5);
    let category = text(&log.category, b6);
    let event = Interaction {
        time,
        event_type,
        user: customer,
        session: "",
        product,
        category_id: "",
        category_code: category,
        brand: "",
        price_cents: total_cents.map_or(0, |total| per_unit(total, quantity)),
    };
    let priced_by_dimension = total_cents.is_none();
    if event_type != "purchase" {
        return Ok(Record::WebLog { event, priced_by_dimension, purchase: None });
    }
    let line = OrderLine {
        time,
        order: OrderId::Basket { place: APP, customer, time: time_text },
        cancelled: false,
        customer,
        product,
        product_name: "",
        category,
        quantity,
        unit_cents: event.price_cents,
        discount_pct: 0,
        location: "",
        online: true,
        payment_method: text(&log.payment_method, b7),
        agent: "",
        branch: "",
        priced_by_dimension,
        stated_total_cents: total_cents,
    };
    Ok(Record::WebLog { event, priced_by_dimension, purchase: Some(line) })
}

/// A line total per unit, rounded half away from zero; a zero quantity shows the total.
fn per_unit(total_cents: i64, quantity: i64) -> i64 {
    if quantity == 0 {
        return total_cents;
    }
    let (quotient, remainder) = (total_cents / quantity, total_cents % quantity);
    if remainder.abs() * 2 >= quantity.abs() {
        quotient + remainder.signum() * quantity.signum()
    } else {
        quotient
    }
}

/// Reads an app log file's bytes (already decompressed): JSON lines, or one array.
pub fn scan_logs(data: &[u8], mut on_record: impl FnMut(Record<'_>)) -> Result<Scan, Unreadable> {
    let mut scratch = Scratch::default();
    json::scan_rows(data, |bytes| match serde_json::from_slice::<AppLog<'_>>(bytes) {
        Ok(log) => parse_log(&log, &mut scratch).map(&mut on_record),
        Err(e) => Err(RowError::new("not a log object", e.to_string())),
    })
}

#[cfg(test)]
mod tests {
    use super::{per_unit, scan_logs};
    use crate::records::Record;

    #[test]
    fn logs_become_events_and_purchases_lines() {
        let text = r#"{"eventType": "view", "customerId": "C1", "productId": "P1", "timestamp": "2024-03-01T10:00:00Z", "category": "Shoes", "source": "search", "quantity": null, "totalAmount": null, "paymentMethod": null, "recommendedProductId": null, "algorithm": null}
{"eventType": "purchase", "customerId": 7, "productId": "P2", "timestamp": "2024-03-01 11:00:00", "category": "Bags", "quantity": 3, "totalAmount": 100.00, "paymentMethod": "Card"}
{"eventType": "purchase", "customerId": null, "productId": "P3", "timestamp": "2024-03-01 12:00:00"}

{"eventType": "purchase", "timestamp": "2024-03-01", "totalAmount": "-1.00"}
{"customerId": "C1", "timestamp": "2024-03-01"}
"#;
        let mut seen = Vec::new();
        let scan = scan_logs(text.as_bytes(), |record| {
            let Record::WebLog { event, priced_by_dimension, purchase } = record else { panic!("app logs are logs") };
            let line =
                purchase.map(|l| (l.order.to_string(), l.quantity, l.amount_cents(), l.payment_method.to_string()));
            seen.push((
                event.event_type.to_string(),
                event.category_code.to_string(),
                event.price_cents,
                priced_by_dimension,
                line,
            ));
        })
        .unwrap();
        assert_eq!(scan.rows, 5);
        assert_eq!(
            seen,
            vec![
                ("view".into(), "Shoes".into(), 0, true, None),
                (
                    "purchase".into(),
                    "Bags".into(),
                    3333,
                    false,
                    Some(("app|7|2024-03-01 11:00:00".into(), 3, 10_000, "Card".into()))
                ),
                ("purchase".into(), "".into(), 0, true, Some(("app||2024-03-01 12:00:00".into(), 1, 0, "".into()))),
            ]
        );
        let rejects: Vec<(u64, &str)> = scan.rejects.iter().map(|r| (r.line, r.error.kind)).collect();
        assert_eq!(rejects, vec![(5, "negative price"), (6, "missing required field")]);
    }

    #[test]
    fn per_unit_prices_round_half_away_from_zero() {
        assert_eq!(per_unit(10_000, 3), 3333);
        assert_eq!(per_unit(5, 2), 3);
        assert_eq!(per_unit(-5, 2), -3);
        assert_eq!(per_unit(5, -2), -3);
        assert_eq!(per_unit(7, 0), 7);
    }
}
