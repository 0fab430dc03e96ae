//! `kiosk`: self-service kiosk sales, one row per item scanned (SPEC §2).
//!
//! `kiosk_id,product_id,card_hash,date_time,fc_number`, matched by header name. Every
//! row is one unit of a product: the customer is the card, the location the kiosk,
//! the category the `fc_number`, and the unit price the product's cost in the
//! product dimension (0 for a product it does not price). The rows of one card at
//! one kiosk at one written time are one basket, the order.

use super::fields::parse_time;
use super::{Columns, Row, RowError};
use crate::records::{OrderId, OrderLine};

#[derive(Clone, Debug)]
pub struct KioskLayout {
    kiosk_id: usize,
    product_id: usize,
    date_time: usize,
    card_hash: Option<usize>,
    fc_number: Option<usize>,
}

impl KioskLayout {
    pub fn from_header(columns: &Columns) -> Result<Self, String> {
        Ok(KioskLayout {
            kiosk_id: columns.required("kiosk_id")?,
            product_id: columns.required("product_id")?,
            date_time: columns.required("date_time")?,
            card_hash: columns.optional("card_hash"),
            fc_number: columns.optional("fc_number"),
        })
    }

    pub fn parse<'r>(&self, row: &Row<'r>) -> Result<OrderLine<'r>, RowError> {
        let kiosk = row.required(self.kiosk_id, "kiosk_id")?;
        let product = row.required(self.product_id, "product_id")?;
        let time_text = row.required(self.date_time, "date_time")?;
        let time = parse_time(time_text).map_err(|why| RowError::field("date_time", why, time_text))?;
        let card = row.optional(self.card_hash)?;
        Ok(OrderLine {
            time,
            order: OrderId::Basket { place: kiosk, customer: card, time: time_text },
            cancelled: false,
            customer: card,
            product,
            product_name: "",
            category: row.optional(self.fc_number)?,
            quantity: 1,
            unit_cents: 0,
            discount_pct: 0,
            location: kiosk,
            online: false,
            payment_method: "",
            agent: "",
            branch: "",
            priced_by_dimension: true,
            stated_total_cents: None,
        })
    }
}
