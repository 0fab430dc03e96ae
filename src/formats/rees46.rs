//! `rees46`: the multi-category store clickstream export (SPEC §2).
//!
//! `event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session`
//! matched by header name; every row is an [`Interaction`].

use super::fields::{is_negative_decimal, parse_cents, parse_time};
use super::{Columns, Row, RowError};
use crate::records::Interaction;

/// Where each field sits in a particular file's rows.
#[derive(Clone, Debug)]
pub struct Rees46Layout {
    event_time: usize,
    event_type: usize,
    product_id: usize,
    price: usize,
    user_id: usize,
    category_id: Option<usize>,
    category_code: Option<usize>,
    brand: Option<usize>,
    user_session: Option<usize>,
}

impl Rees46Layout {
    pub fn from_header(columns: &Columns) -> Result<Self, String> {
        Ok(Rees46Layout {
            event_time: columns.required("event_time")?,
            event_type: columns.required("event_type")?,
            product_id: columns.required("product_id")?,
            price: columns.required("price")?,
            user_id: columns.required("user_id")?,
            category_id: columns.optional("category_id"),
            category_code: columns.optional("category_code"),
            brand: columns.optional("brand"),
            user_session: columns.optional("user_session"),
        })
    }

    pub fn parse<'r>(&self, row: &Row<'r>) -> Result<Interaction<'r>, RowError> {
        let time_text = row.required(self.event_time, "event_time")?;
        let time = parse_time(time_text).map_err(|why| RowError::field("event_time", why, time_text))?;
        let price_text = row.required(self.price, "price")?;
        let price_cents = parse_cents(price_text).map_err(|why| RowError::field("price", why, price_text))?;
        if is_negative_decimal(price_text) {
            return Err(RowError::new("negative price", price_text));
        }
        Ok(Interaction {
            time,
            event_type: row.required(self.event_type, "event_type")?,
            product: row.required(self.product_id, "product_id")?,
            user: row.required(self.user_id, "user_id")?,
            category_id: row.optional(self.category_id)?,
            category_code: row.optional(self.category_code)?,
            brand: row.optional(self.brand)?,
            session: row.optional(self.user_session)?,
            price_cents,
        })
    }
}
