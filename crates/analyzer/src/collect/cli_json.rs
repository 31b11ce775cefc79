//! Building the JSON the AWS CLI prints from SDK replies: absent fields are
//! left out (as the CLI does), times are RFC 3339, so the importer reads a
//! collected reply exactly like a user's `aws ... --output json` dump.

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use serde_json::{Map, Value};

/// A JSON object of the `Some` fields only, as the CLI omits absent keys.
pub(super) fn object(fields: impl IntoIterator<Item = (&'static str, Option<Value>)>) -> Value {
    let map: Map<String, Value> =
        fields.into_iter().filter_map(|(key, value)| value.map(|v| (key.to_owned(), v))).collect();
    Value::Object(map)
}

pub(super) fn text(value: Option<&str>) -> Option<Value> {
    value.map(|s| Value::String(s.to_owned()))
}

pub(super) fn time(value: Option<&DateTime>) -> Option<Value> {
    value.and_then(|t| t.fmt(Format::DateTime).ok()).map(Value::String)
}
